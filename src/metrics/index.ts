export * from './confusion.js';
export * from './boundary-iou.js';
export * from './objects.js';
export * from './object-comparison.js';
