module.exports = require('../../jest.preset.cjs').unitConfig(__dirname, 'order-summary-worker');
