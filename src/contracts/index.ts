export * from './profile.js';
export * from './losses.js';
export * from './recommendation.js';
export * from './verification.js';
export * from './events.js';
export * from './sample.js';
