module.exports = require('../../jest.preset.cjs').unitConfig(__dirname, 'read-models');
