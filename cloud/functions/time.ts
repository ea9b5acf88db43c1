// The server's clock decides sale windows; apps show countdowns relative to this, never the device clock.
Parse.Cloud.define('serverTime', () => ({ now: new Date().toISOString() }));
