package dev.herald.api;

import dev.herald.core.message.HeaderParser;
import dev.herald.core.message.MessageOptions;
import dev.herald.engine.EgressGuard;
import java.net.URI;

/** Refuses, at publish time, URLs whose host is a literal IP the egress guard would block (serve mode). */
final class EgressCheck {
  private final EgressGuard guard;

  EgressCheck(EgressGuard guard) {
    this.guard = guard;
  }

  void url(String field, String url) {
    if (url == null || guard.allowsPrivate()) return;
    String host;
    try {
      host = HeaderParser.host(URI.create(url));
    } catch (IllegalArgumentException e) {
      return; // the URL validator reports malformed URLs
    }
    if (host == null) return;
    String refused = guard.literalRefused(host);
    if (refused != null) throw ApiException.badRequest(field + ": " + refused);
  }

  void options(MessageOptions o) {
    url("Upstash-Callback", o.callback());
    url("Upstash-Failure-Callback", o.failureCallback());
  }
}
