module.exports = require('../../jest.preset.cjs').unitConfig(__dirname, 'event-simulator');
