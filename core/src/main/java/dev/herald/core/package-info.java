/**
 * Herald's domain: messages, the delivery state machine, retry maths, durations, ids and
 * header validation. Plain Java: no I/O, no threads, no clock reads (time is passed in).
 * Must not depend on store, engine, api or any HTTP/SQL library.
 */
package dev.herald.core;
