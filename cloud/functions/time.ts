import { defineFunction } from '../edge/report';

// The server's clock decides sale windows; apps show countdowns relative to this, never the device clock.
defineFunction('serverTime', () => ({ now: new Date().toISOString() }));
