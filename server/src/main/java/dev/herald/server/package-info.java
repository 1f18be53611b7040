/**
 * The composition root: configuration, the object graph ({@link dev.herald.server.App}), lifecycle and
 * the command-line commands. The only module that knows every other one.
 */
package dev.herald.server;
