/**
 * The moving parts: publishing, the dispatcher (in-memory due index + claim), the HTTP sender, signing,
 * the egress guard and maintenance. Depends on core and store; knows nothing about the HTTP API.
 * Threads: one dispatcher thread owns the due index; each attempt runs on its own virtual thread;
 * every write goes through the store's group committer.
 */
package dev.herald.engine;
