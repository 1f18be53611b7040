package dev.herald.engine;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.List;
import java.util.stream.Stream;

/**
 * The JVM-wide name resolver (JEP 418): the built-in resolver, filtered by the installed
 * {@link EgressGuard}. Because the HTTP client resolves a destination's name when it connects, the
 * check happens at connect time for every attempt, which defeats DNS rebinding. With no guard
 * installed (dev mode, tests) it is the built-in resolver unchanged.
 */
public final class GuardedResolverProvider extends InetAddressResolverProvider {
  @Override
  public InetAddressResolver get(Configuration configuration) {
    InetAddressResolver builtin = configuration.builtinResolver();
    return new InetAddressResolver() {
      @Override
      public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
        EgressGuard guard = EgressGuard.active();
        if (guard == null || guard.allowsPrivate()) return builtin.lookupByName(host, policy);
        List<InetAddress> all = builtin.lookupByName(host, policy).toList();
        List<InetAddress> ok = all.stream().filter(a -> guard.allowed(host, a)).toList();
        if (ok.isEmpty() && !all.isEmpty()) throw new UnknownHostException(EgressGuard.refusal(all.get(0)));
        return ok.stream();
      }

      @Override
      public String lookupByAddress(byte[] addr) throws UnknownHostException {
        return builtin.lookupByAddress(addr);
      }
    };
  }

  @Override
  public String name() {
    return "herald-egress-guard";
  }
}
