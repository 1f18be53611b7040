package dev.herald.server;

import dev.herald.api.Api;
import dev.herald.api.ApiResponse;
import dev.herald.api.Auth;
import dev.herald.api.HttpApi;
import dev.herald.core.id.Ids;
import dev.herald.core.message.HeaderParser;
import dev.herald.engine.DlqService;
import dev.herald.engine.Dispatcher;
import dev.herald.engine.Loop;
import dev.herald.engine.Maintenance;
import dev.herald.engine.QueueService;
import dev.herald.engine.ScheduleService;
import dev.herald.engine.UrlGroupService;
import dev.herald.engine.WorkflowService;
import dev.herald.engine.EgressGuard;
import dev.herald.engine.MessageService;
import dev.herald.engine.PublishService;
import dev.herald.engine.Sender;
import dev.herald.engine.Signer;
import dev.herald.engine.SigningKeys;
import dev.herald.store.Db;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;

/**
 * The composition root: builds the object graph with constructors, in dependency order, and owns
 * start and stop. Stop runs in reverse: no new requests (each is answered 503), then no new attempts,
 * then, once the requests in progress are answered, no connections, then the store.
 */
public final class App implements AutoCloseable {
  private final Db db;
  private final Dispatcher dispatcher;
  private final HttpApi http;
  private final List<Loop> loops;
  private final ScheduleService schedules;
  private final Metrics metrics;
  private volatile boolean ready;

  private App(Db db, Dispatcher dispatcher, HttpApi http, List<Loop> loops, ScheduleService schedules, Metrics metrics) {
    this.db = db;
    this.dispatcher = dispatcher;
    this.http = http;
    this.loops = loops;
    this.schedules = schedules;
    this.metrics = metrics;
  }

  public static App start(Config c, InstantSource clock) {
    Db db = Db.open(c.store().location(), new Db.Options(c.store().readers(), c.store().writeQueue(), null));
    Metrics metrics = null;
    try {
      metrics = new Metrics(db, clock);
      Ids ids = new Ids();
      HeaderParser parser = new HeaderParser(new HeaderParser.Limits(c.limits().defaultRetries(), c.limits().maxRetries(),
          c.limits().maxDelay(), c.limits().maxAttemptTimeout()));
      SigningKeys keys = new SigningKeys(db, new SigningKeys.Pair(c.auth().currentSigningKey(), c.auth().nextSigningKey()));
      Signer signer = new Signer(keys, ids);
      // The store's own host must stay resolvable: the guard filters every name lookup of the process.
      EgressGuard egress = new EgressGuard(c.egress().allowPrivate(), c.egress().allow(), storeHosts(c));
      EgressGuard.install(egress);
      Sender sender = new Sender(signer, egress, clock,
          new Sender.Settings(c.delivery().connectTimeout(), c.limits().maxAttemptTimeout(), c.limits().maxResponseBytes(),
              c.delivery().concurrency()));
      Dispatcher dispatcher = new Dispatcher(db, sender, Dispatcher.outcomes(parser, ids, c.limits().maxResponseBytes()), clock,
          new Dispatcher.Settings(c.delivery().lookahead(), c.delivery().indexCapacity(), c.delivery().concurrency(),
              c.limits().maxAttemptTimeout().plus(c.delivery().leaseMargin()), c.server().shutdownGrace()), metrics.registry());
      PublishService publisher = new PublishService(db, clock, ids, c.retention().dedupWindow(), c.limits().maxDelay(),
          metrics.registry());
      publisher.onNewWork(dispatcher);
      publisher.directStart(dispatcher);
      MessageService messages = new MessageService(db, clock);
      DlqService dlq = new DlqService(db, clock, ids);
      dlq.onNewWork(dispatcher);
      Maintenance maintenance = new Maintenance(db, clock, c.retention().logs(), c.retention().dlq());
      Loop maintenanceLoop = new Loop("maintenance", Duration.ofSeconds(30), maintenance::runOnceForLoop);
      App[] self = new App[1];
      messages.onNewWork(dispatcher);
      QueueService queues = new QueueService(db, clock, dispatcher, messages);
      UrlGroupService groups = new UrlGroupService(db, clock);
      ScheduleService schedules = new ScheduleService(db, clock, ids, parser, publisher);
      Loop scheduleLoop = new Loop("schedules", Duration.ofSeconds(1), () -> schedules.runOnce() == 100);
      WorkflowService workflows = new WorkflowService(db, clock, parser, ids, publisher);
      workflows.onNewWork(dispatcher);
      // waits (context.waitForEvent) that pass their deadline get their timeout step
      Loop waitLoop = new Loop("workflow-waits", Duration.ofSeconds(1), () -> workflows.expireWaiters() == WorkflowService.SWEEP_BATCH);
      var routes = Api.routes(new Api.Services(parser, publisher, messages, keys, dlq, queues, groups, schedules,
          dispatcher.flowControl(), egress, db, clock, () -> self[0] != null && self[0].ready, workflows),
          new Api.Settings(c.limits().maxBatchItems(), c.limits().maxQueueParallelism(), c.delivery().concurrency()));
      if (c.metrics().enabled()) {
        Metrics m = metrics;
        routes.open("GET,HEAD", "/metrics", req -> ApiResponse.raw(200, Metrics.CONTENT_TYPE, m.scrape()));
      }
      HttpApi http = new HttpApi(routes, new Auth(List.of(c.auth().token())), new HttpApi.Limits(c.limits().maxBodyBytes(),
          c.limits().maxHeadersBytes(), c.limits().maxRequestLineBytes(), c.server().idleTimeout(), c.server().maxConnections(),
          c.server().readTimeout(), c.limits().maxInflightBodyBytes(), c.server().shutdownGrace()));
      // Shared store: leases of dead nodes expire on the database clock and are retried here.
      Loop reaperLoop = new Loop("lease-reaper", Duration.ofSeconds(5), () -> dispatcher.reapExpiredLeases() > 0);
      Duration flowKeyIdle = c.retention().flowKeys();
      Loop flowKeyLoop = new Loop("flow-keys", Duration.ofSeconds(60), () -> dispatcher.flowControl().forgetIdle(flowKeyIdle));
      List<Loop> loops = db.shared() ? List.of(maintenanceLoop, scheduleLoop, waitLoop, flowKeyLoop, reaperLoop)
          : List.of(maintenanceLoop, scheduleLoop, waitLoop, flowKeyLoop);
      App app = new App(db, dispatcher, http, loops, schedules, metrics);
      self[0] = app;
      http.start(c.server().host(), c.server().port());
      dispatcher.start();
      db.listenForNewWork(dispatcher::wakeForRemoteWork);
      loops.forEach(Loop::start);
      app.ready = dispatcher.isRunning();
      return app;
    } catch (RuntimeException e) {
      if (metrics != null) metrics.close();
      db.close();
      throw db.startFailure(e);
    }
  }

  private static java.util.Set<String> storeHosts(Config c) {
    String url = c.store().url();
    if (url == null || url.isBlank()) return java.util.Set.of();
    try {
      String host = java.net.URI.create(url.startsWith("jdbc:") ? url.substring(5) : url).getHost();
      return host == null ? java.util.Set.of() : java.util.Set.of(host);
    } catch (IllegalArgumentException e) {
      return java.util.Set.of();
    }
  }

  public int port() {
    return http.port();
  }

  public boolean ready() {
    return ready;
  }

  public Dispatcher dispatcher() {
    return dispatcher;
  }

  /** The schedule pass, for tests that move a clock and fire due slots themselves. */
  public ScheduleService schedules() {
    return schedules;
  }

  @Override
  public void close() {
    ready = false;
    // New requests are answered 503 with Connection: close while attempts in flight finish; requests
    // already read finish too, and only then does the port close (R3: an answer rather than a reset).
    http.stopTakingRequests();
    loops.forEach(Loop::close);
    dispatcher.close();
    http.close();
    metrics.close();
    db.close();
    EgressGuard.install(null);
  }
}
