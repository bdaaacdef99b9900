module.exports = require('../../jest.preset.cjs').integrationConfig(__dirname, 'feed-builder-worker');
