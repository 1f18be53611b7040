/**
 * Cron maths for schedules (spec 16): the five-field expression with an optional {@code CRON_TZ=}/{@code TZ=}
 * zone prefix, and the next fire instant after a given instant. Pure functions of their inputs: no clock
 * reads, no I/O, no JVM default zone. Must not depend on store, engine or api.
 */
package dev.herald.core.cron;
