package dev.herald.bench;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.util.Timeout;

/**
 * The ceiling of Herald's HTTP stack on this machine, for {@code bench/ceiling.sh}: the same server
 * (Helidon, virtual thread per connection), the same client (httpclient5 classic, pooled keep-alive,
 * one virtual thread per delivery) and the same shape of traffic as Herald, with nothing in between.
 * {@code POST /v2/publish/{url}} answers 201 with a message id at once and forwards the body to the
 * URL. No store, no fsync, no auth, no header parsing, no signature, no retry: what is left is the cost
 * of taking one HTTP request in and sending one out. Not a product: the benchmark's floor.
 */
public final class Relay {
  private Relay() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    PoolingHttpClientConnectionManager pool = PoolingHttpClientConnectionManagerBuilder.create()
        .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.LAX)
        .setMaxConnPerRoute(256)
        .setMaxConnTotal(256)
        .setDefaultSocketConfig(SocketConfig.custom().setTcpNoDelay(true).build())
        .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(Timeout.ofSeconds(5))
            .setSocketTimeout(Timeout.DISABLED).build())
        .build();
    CloseableHttpClient client = HttpClients.custom().setConnectionManager(pool).disableRedirectHandling()
        .disableAutomaticRetries().disableCookieManagement().disableContentCompression().disableAuthCaching().build();
    // -Drelay.client=async: httpclient5's event-driven client (one I/O reactor, no thread per delivery)
    boolean async = "async".equals(System.getProperty("relay.client"));
    org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient asyncClient = null;
    if (async) {
      asyncClient = org.apache.hc.client5.http.impl.async.HttpAsyncClients.custom()
          .setConnectionManager(org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder.create()
              .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.LAX).setMaxConnPerRoute(256).setMaxConnTotal(256).build())
          .setIOReactorConfig(org.apache.hc.core5.reactor.IOReactorConfig.custom().setIoThreadCount(2)
              .setTcpNoDelay(true).build())
          .disableRedirectHandling().disableAutomaticRetries().disableCookieManagement().disableAuthCaching().build();
      asyncClient.start();
    }
    org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient forwarder = asyncClient;
    AtomicLong ids = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    String prefix = "/v2/publish/";
    WebServer server = WebServer.builder()
        .port(port)
        .connectionOptions(o -> o.tcpNoDelay(true))
        .routing(r -> r.any((req, res) -> {
          String path = req.path().rawPath();
          if (path.equals("/readyz")) {
            res.send("ok");
            return;
          }
          if (!path.startsWith(prefix)) {
            res.status(Status.NOT_FOUND_404).send();
            return;
          }
          URI dest = URI.create(path.substring(prefix.length()));
          byte[] body;
          try (InputStream in = req.content().inputStream()) {
            body = in.readAllBytes();
          }
          String id = "msg_" + ids.incrementAndGet();
          if (forwarder != null) {
            var post = org.apache.hc.client5.http.async.methods.SimpleRequestBuilder.post(dest)
                .setHeader("Upstash-Message-Id", id).setBody(body, ContentType.APPLICATION_JSON).build();
            forwarder.execute(post, new org.apache.hc.core5.concurrent.FutureCallback<>() {
              @Override
              public void completed(org.apache.hc.client5.http.async.methods.SimpleHttpResponse r) {}

              @Override
              public void failed(Exception e) {
                failed.incrementAndGet();
              }

              @Override
              public void cancelled() {
                failed.incrementAndGet();
              }
            });
          } else Thread.ofVirtual().start(() -> {
            HttpPost post = new HttpPost(dest);
            post.setHeader("Upstash-Message-Id", id);
            post.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_JSON));
            try (ClassicHttpResponse resp = client.executeOpen(null, post, null)) {
              if (resp.getEntity() != null) resp.getEntity().getContent().readAllBytes();
            } catch (IOException | RuntimeException e) {
              failed.incrementAndGet();
            }
          });
          res.status(Status.CREATED_201).header(HeaderNames.CONTENT_TYPE, "application/json")
              .send(("{\"messageId\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8));
        }))
        .build()
        .start();
    System.out.println("relay listening on " + server.port());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.println("relay: " + ids.get() + " published, "
        + failed.get() + " forwards failed")));
    Thread.currentThread().join();
  }
}
