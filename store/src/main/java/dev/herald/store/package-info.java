/**
 * Persistence over JDBC (SQLite now; PostgreSQL through the same verbs). All writes go through
 * {@link dev.herald.store.GroupCommitter}: one transaction and one fsync for every write that arrived
 * while the previous commit was flushing. Depends on core only; no HTTP, no engine.
 */
package dev.herald.store;
