/**
 * The QStash v2 HTTP API on Helidon SE. {@link dev.herald.api.Routes} is the one table of endpoints;
 * each resource class owns the handlers of one area. Clients only ever see entries of
 * {@link dev.herald.api.ApiError} or success bodies. Depends on engine/store/core; never the reverse.
 */
package dev.herald.api;
