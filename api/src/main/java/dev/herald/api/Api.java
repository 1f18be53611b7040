package dev.herald.api;

import dev.herald.core.message.HeaderParser;
import dev.herald.engine.DlqService;
import dev.herald.engine.MessageService;
import dev.herald.engine.PublishService;
import dev.herald.engine.SigningKeys;
import dev.herald.store.Db;
import java.time.InstantSource;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Builds the route table: every endpoint of the API, in one place. */
public final class Api {
  private Api() {}

  /** The services the API needs. */
  public record Services(HeaderParser parser, PublishService publisher, MessageService messages, SigningKeys keys,
      DlqService dlq, Db db, InstantSource clock, BooleanSupplier ready) {}

  public static Routes routes(Services s) {
    PublishResource publish = new PublishResource(s.parser(), s.publisher());
    MessagesResource messages = new MessagesResource(s.messages());
    KeysResource keys = new KeysResource(s.keys());
    DlqResource dlq = new DlqResource(s.dlq(), s.parser(), s.clock());
    LogsResource logs = new LogsResource(s.db());
    return new Routes()
        .open("GET", "/healthz", req -> ApiResponse.ok(Map.of("status", "ok")))
        .open("GET", "/readyz", req -> s.ready().getAsBoolean()
            ? ApiResponse.ok(Map.of("status", "ready"))
            : ApiResponse.error(503, "not ready"))
        .add("POST,GET,PUT,PATCH,DELETE", "/v2/publish/{destination...}", publish::publish)
        .add("GET", "/v2/messages/{id}", messages::get)
        .add("DELETE", "/v2/messages", messages::cancelMany)
        .add("DELETE", "/v2/messages/{id}", messages::cancel)
        .add("GET", "/v2/keys", keys::get)
        .add("POST", "/v2/keys/rotate", keys::rotate)
        .add("POST", "/v2/rotate", keys::rotate)
        .add("GET", "/v2/dlq", dlq::list)
        .add("DELETE", "/v2/dlq", dlq::deleteMany)
        .add("POST", "/v2/dlq/retry", dlq::retryMany)
        .add("POST", "/v2/dlq/retry/{dlqId}", dlq::retry)
        .add("GET", "/v2/dlq/{dlqId}", dlq::get)
        .add("DELETE", "/v2/dlq/{dlqId}", dlq::delete)
        .add("GET", "/v2/events", logs::events)
        .add("GET", "/v2/logs", logs::logs);
  }
}
