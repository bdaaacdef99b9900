module.exports = require('../../jest.preset.cjs').unitConfig(__dirname, 'user-cards-worker');
