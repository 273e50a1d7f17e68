/** The redis adapter: reads the local redis's replication state and applies the roles the Elector decides. */
export * from './info.js';
export * from './status.js';
export * from './errors.js';
export * from './detach.js';
export * from './deadline.js';
export * from './local-redis.js';
export * from './epoch-marker.js';
export * from './link-watch.js';
