package dev.herald.api;

import dev.herald.core.message.HeaderParser;
import dev.herald.engine.DlqService;
import dev.herald.engine.EgressGuard;
import dev.herald.engine.FlowControlView;
import dev.herald.engine.MessageService;
import dev.herald.engine.PublishService;
import dev.herald.engine.QueueService;
import dev.herald.engine.ScheduleService;
import dev.herald.engine.SigningKeys;
import dev.herald.engine.UrlGroupService;
import dev.herald.engine.WorkflowService;
import dev.herald.store.Db;
import java.time.InstantSource;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Builds the route table: every endpoint of the API, in one place. */
public final class Api {
  private Api() {}

  /** The services the API needs. */
  public record Services(HeaderParser parser, PublishService publisher, MessageService messages, SigningKeys keys,
      DlqService dlq, QueueService queues, UrlGroupService groups, ScheduleService schedules, FlowControlView flows,
      EgressGuard egress, Db db, InstantSource clock, BooleanSupplier ready, WorkflowService workflows) {}

  /** Limits the resources enforce. */
  public record Settings(int maxBatchItems, int maxQueueParallelism, int globalParallelism) {}

  public static Routes routes(Services s, Settings settings) {
    EgressCheck egress = new EgressCheck(s.egress());
    PublishResource publish = new PublishResource(s.parser(), s.publisher(), s.schedules(), s.groups(), egress);
    BatchResource batch = new BatchResource(s.parser(), s.publisher(), s.groups(), settings.maxBatchItems(), egress);
    MessagesResource messages = new MessagesResource(s.messages());
    KeysResource keys = new KeysResource(s.keys());
    DlqResource dlq = new DlqResource(s.dlq(), s.workflows(), s.parser(), s.clock(), egress);
    LogsResource logs = new LogsResource(s.db());
    QueuesResource queues = new QueuesResource(s.queues(), settings.maxQueueParallelism());
    TopicsResource topics = new TopicsResource(s.groups(), s.parser(), egress);
    SchedulesResource schedules = new SchedulesResource(s.schedules(), egress);
    FlowControlResource flow = new FlowControlResource(s.flows(), settings.globalParallelism());
    WorkflowsResource workflows = new WorkflowsResource(s.workflows(), s.parser(), s.publisher(), egress, settings.maxBatchItems());
    return new Routes()
        .open("GET,HEAD", "/healthz", req -> ApiResponse.ok(Map.of("status", "ok")))
        .open("GET,HEAD", "/readyz", req -> s.ready().getAsBoolean()
            ? ApiResponse.ok(Map.of("status", "ready"))
            : ApiResponse.error(503, "not ready"))
        // qstash-py's client.readiness.check(): authenticated, and always 200 (the SDK raises on any other)
        .add("GET", "/v2/readiness", req -> ApiResponse.ok(Map.of("ready", s.ready().getAsBoolean())))
        .add("POST,GET,PUT,PATCH,DELETE", "/v2/publish/{destination...}", publish::publish)
        .add("POST,GET,PUT,PATCH,DELETE", "/v2/enqueue/{queue}/{destination...}", publish::enqueue)
        .add("POST", "/v2/batch", batch::batch)
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
        .add("GET", "/v2/logs", logs::logs)
        .add("GET", "/v2/schedules", schedules::list)
        .add("PATCH,POST", "/v2/schedules/{id}/pause", schedules::pause)
        .add("PATCH,POST", "/v2/schedules/{id}/resume", schedules::resume)
        .add("GET", "/v2/schedules/{id}", schedules::get)
        .add("DELETE", "/v2/schedules/{id}", schedules::delete)
        .add("POST", "/v2/schedules/{destination...}", schedules::create)
        .add("POST", "/v2/queues", queues::upsert)
        .add("GET", "/v2/queues", queues::list)
        .add("POST", "/v2/queues/{queue}/pause", queues::pause)
        .add("POST", "/v2/queues/{queue}/resume", queues::resume)
        .add("GET", "/v2/queues/{queue}", queues::get)
        .add("DELETE", "/v2/queues/{queue}", queues::delete)
        .add("POST", "/v2/topics/{group}/endpoints", topics::upsert)
        .add("DELETE", "/v2/topics/{group}/endpoints", topics::remove)
        .add("GET", "/v2/topics", topics::list)
        .add("GET", "/v2/topics/{group}", topics::get)
        .add("DELETE", "/v2/topics/{group}", topics::delete)
        .add("PATCH", "/v2/topics/{group}", topics::patch)
        .add("GET", "/v2/flowControl", flow::list)
        .add("GET", "/v2/flowControl/{key}", flow::get)
        .add("POST", "/v2/flowControl/{key}/pause", flow::pause)
        .add("POST", "/v2/flowControl/{key}/resume", flow::resume)
        .add("POST", "/v2/flowControl/{key}/pin", flow::pin)
        .add("POST", "/v2/flowControl/{key}/unpin", flow::unpin)
        .add("POST", "/v2/flowControl/{key}/resetRate", flow::resetRate)
        .add("POST", "/v2/flowControl/{key}/reset", flow::resetRate)
        // an SDK given an empty key sends //: a 400 that says so, not a 404 for an unknown route (spec 11.4)
        .add("GET,POST", "/v2/flowControl//{operation}", FlowControlResource::missingKey)
        .add("GET", "/v2/globalParallelism", flow::global)
        .add("POST", "/v2/trigger/{destination...}", workflows::trigger)
        .add("POST", "/v2/batch/trigger", workflows::batchTrigger)
        .add("GET", "/v2/workflows/runs/{runId}", workflows::steps)
        .add("DELETE", "/v2/workflows/runs/{runId}", workflows::end)
        .add("DELETE", "/v2/workflows/runs", workflows::cancelMany)
        .add("GET", "/v2/workflows/logs", workflows::logs)
        .add("GET", "/v2/workflows/events", workflows::logs)
        .add("POST", "/v2/wait/{eventId}", workflows::waitFor)
        .add("POST", "/v2/notify/{runId}/{eventId}", workflows::notify)
        .add("POST", "/v2/notify/{eventId}", workflows::notify)
        .add("GET", "/v2/waiters/{eventId}", workflows::waiters)
        .add("DELETE", "/v2/workflows/dlq", dlq::workflowDeleteMany)
        .add("POST", "/v2/workflows/dlq/resume", dlq::resume)
        .add("POST", "/v2/workflows/dlq/resume/{dlqId}", dlq::resumeOne)
        .add("POST", "/v2/workflows/dlq/restart", dlq::restart)
        .add("POST", "/v2/workflows/dlq/restart/{dlqId}", dlq::restartOne)
        .add("POST", "/v2/workflows/dlq/callback/{dlqId}", dlq::retryFailureFunction)
        .add("GET", "/v2/workflows/dlq/{dlqId}", dlq::workflowGet)
        .add("DELETE", "/v2/workflows/dlq/{dlqId}", dlq::workflowDelete)
        .open("GET,HEAD,POST,PUT,PATCH,DELETE", "/v2/workflows/hooks/{user}/{runId}/{eventId}", workflows::webhook);
  }
}
