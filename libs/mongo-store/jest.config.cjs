module.exports = require('../../jest.preset.cjs').unitConfig(__dirname, 'mongo-store');
