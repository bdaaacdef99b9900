module.exports = require('../../jest.preset.cjs').unitConfig(__dirname, 'kafka-runtime');
