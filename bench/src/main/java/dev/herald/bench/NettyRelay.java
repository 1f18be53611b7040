package dev.herald.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelPool;
import io.netty.channel.pool.SimpleChannelPool;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link Relay} on an event-loop stack instead of Herald's (Netty with epoll on both sides, two loops,
 * each client connection on the loop of the request that uses it, no virtual threads). For
 * {@code SUT=netty-relay bench/threads.sh}: how much of the HTTP cost a different stack would save.
 * Not a product: no store, no checks, no timeouts.
 */
public final class NettyRelay {
  private NettyRelay() {}

  private static final AttributeKey<ChannelPool> POOL = AttributeKey.valueOf("pool");
  private static final AtomicLong IDS = new AtomicLong();
  private static final AtomicLong FAILED = new AtomicLong();
  private static final String PREFIX = "/v2/publish/";

  /** One pool per destination and event loop: a request's forward stays on its loop. */
  private static final FastThreadLocal<Map<InetSocketAddress, ChannelPool>> POOLS = new FastThreadLocal<>() {
    @Override
    protected Map<InetSocketAddress, ChannelPool> initialValue() {
      return new HashMap<>();
    }
  };

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(2 << 20), new Publish());
          }
        })
        .bind(port).sync().channel();
    System.out.println("relay listening on " + ((InetSocketAddress) server.localAddress()).getPort());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.println("netty relay: " + IDS.get()
        + " published, " + FAILED.get() + " forwards failed")));
    server.closeFuture().sync();
  }

  private static ChannelPool pool(EventLoop loop, InetSocketAddress dest) {
    return POOLS.get().computeIfAbsent(dest, d -> {
      Bootstrap b = new Bootstrap().group(loop).channel(EpollSocketChannel.class).option(ChannelOption.TCP_NODELAY, true)
          .remoteAddress(d);
      return new SimpleChannelPool(b, new AbstractChannelPoolHandler() {
        @Override
        public void channelCreated(Channel ch) {
          ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20), new Answer());
        }
      });
    });
  }

  private static final class Publish extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      String path = req.uri();
      if (path.equals("/readyz")) {
        FullHttpResponse ok = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        ok.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
        ctx.writeAndFlush(ok);
        return;
      }
      if (!path.startsWith(PREFIX)) {
        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND))
            .addListener(ChannelFutureListener.CLOSE);
        return;
      }
      URI dest = URI.create(path.substring(PREFIX.length()));
      String id = "msg_" + IDS.incrementAndGet();
      ByteBuf body = req.content().retain();
      ChannelPool pool = pool(ctx.channel().eventLoop(), new InetSocketAddress(dest.getHost(), dest.getPort()));
      pool.acquire().addListener(f -> {
        if (!f.isSuccess()) {
          body.release();
          FAILED.incrementAndGet();
          return;
        }
        Channel out = (Channel) f.getNow();
        out.attr(POOL).set(pool);
        FullHttpRequest fwd = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, dest.getRawPath(), body);
        fwd.headers().set(HttpHeaderNames.HOST, dest.getHost() + ":" + dest.getPort())
            .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
            .set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
            .set("Upstash-Message-Id", id);
        out.writeAndFlush(fwd);
      });
      byte[] answer = ("{\"messageId\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
      FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CREATED,
          Unpooled.wrappedBuffer(answer));
      res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
          .set(HttpHeaderNames.CONTENT_LENGTH, answer.length);
      HttpUtil.setKeepAlive(res, HttpUtil.isKeepAlive(req));
      ctx.writeAndFlush(res);
    }
  }

  /** The destination's answer: read, then the connection goes back to its pool. */
  private static final class Answer extends SimpleChannelInboundHandler<io.netty.handler.codec.http.FullHttpResponse> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
      if (!res.status().equals(HttpResponseStatus.OK)) FAILED.incrementAndGet();
      ctx.channel().attr(POOL).get().release(ctx.channel());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      FAILED.incrementAndGet();
      ctx.close();
    }
  }
}
