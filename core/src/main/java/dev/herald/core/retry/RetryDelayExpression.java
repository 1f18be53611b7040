package dev.herald.core.retry;

import dev.herald.core.ValidationException;
import java.util.List;

/**
 * The {@code Upstash-Retry-Delay} language (spec 2.4): numbers, the variable {@code retried},
 * {@code + - * /}, unary minus, parentheses and pow, exp, sqrt, abs, floor, ceil, round, min, max.
 * The result is a delay in milliseconds. Parsed once at publish time (bad input is a 400 then, not
 * a surprise at retry time) and evaluated with the number of retries already made.
 */
public final class RetryDelayExpression {
  private static final int MAX_LENGTH = 512;
  private static final int MAX_DEPTH = 32;
  private static final List<String> FUNCTIONS =
      List.of("pow", "exp", "sqrt", "abs", "floor", "ceil", "round", "min", "max");

  private final String source;
  private final Node root;

  private RetryDelayExpression(String source, Node root) {
    this.source = source;
    this.root = root;
  }

  public static RetryDelayExpression parse(String source) {
    if (source == null || source.isBlank()) throw new ValidationException("Upstash-Retry-Delay: empty expression");
    if (source.length() > MAX_LENGTH) throw new ValidationException("Upstash-Retry-Delay: expression longer than " + MAX_LENGTH);
    Parser p = new Parser(source);
    Node n = p.expression();
    p.skipSpace();
    if (p.pos != source.length()) throw p.error("unexpected '" + source.charAt(p.pos) + "'");
    return new RetryDelayExpression(source, n);
  }

  public String source() {
    return source;
  }

  /** Delay in milliseconds for the retry after {@code retried} retries; NaN/negative results become 0. */
  public long delayMillis(int retried) {
    double v = root.eval(retried);
    if (Double.isNaN(v) || v <= 0) return 0;
    if (v >= Long.MAX_VALUE) return Long.MAX_VALUE;
    return (long) v;
  }

  private sealed interface Node {
    double eval(double retried);
  }

  private record Num(double value) implements Node {
    public double eval(double retried) { return value; }
  }

  private record Var() implements Node {
    public double eval(double retried) { return retried; }
  }

  private record Neg(Node inner) implements Node {
    public double eval(double retried) { return -inner.eval(retried); }
  }

  private record Bin(char op, Node l, Node r) implements Node {
    public double eval(double retried) {
      double a = l.eval(retried), b = r.eval(retried);
      return switch (op) {
        case '+' -> a + b;
        case '-' -> a - b;
        case '*' -> a * b;
        default -> a / b;
      };
    }
  }

  private record Call(String fn, List<Node> args) implements Node {
    public double eval(double retried) {
      double a = args.get(0).eval(retried);
      return switch (fn) {
        case "pow" -> Math.pow(a, args.get(1).eval(retried));
        case "min" -> Math.min(a, args.get(1).eval(retried));
        case "max" -> Math.max(a, args.get(1).eval(retried));
        case "exp" -> Math.exp(a);
        case "sqrt" -> Math.sqrt(a);
        case "abs" -> Math.abs(a);
        case "floor" -> Math.floor(a);
        case "ceil" -> Math.ceil(a);
        default -> roundHalfAwayFromZero(a);
      };
    }

    /** Like Go's math.Round and JavaScript's Math.round for positives: 2.5 -> 3 (Math.rint would give 2). */
    private static double roundHalfAwayFromZero(double a) {
      double whole = Math.floor(Math.abs(a));
      if (Math.abs(a) - whole >= 0.5) whole += 1;
      return Math.copySign(whole, a);
    }
  }

  private static final class Parser {
    final String s;
    int pos;
    int depth;

    Parser(String s) { this.s = s; }

    ValidationException error(String what) {
      return new ValidationException("Upstash-Retry-Delay: invalid expression at position " + pos + ": " + what);
    }

    void skipSpace() {
      while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) pos++;
    }

    Node expression() {
      if (++depth > MAX_DEPTH) throw error("nested too deeply");
      Node left = term();
      while (true) {
        skipSpace();
        if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) {
          char op = s.charAt(pos++);
          left = new Bin(op, left, term());
        } else break;
      }
      depth--;
      return left;
    }

    Node term() {
      Node left = factor();
      while (true) {
        skipSpace();
        if (pos < s.length() && (s.charAt(pos) == '*' || s.charAt(pos) == '/')) {
          char op = s.charAt(pos++);
          left = new Bin(op, left, factor());
        } else break;
      }
      return left;
    }

    Node factor() {
      skipSpace();
      if (pos >= s.length()) throw error("unexpected end");
      char c = s.charAt(pos);
      if (c == '-') {
        pos++;
        if (++depth > MAX_DEPTH) throw error("nested too deeply");
        Node n = new Neg(factor());
        depth--;
        return n;
      }
      if (c == '(') {
        pos++;
        Node n = expression();
        expect(')');
        return n;
      }
      if ((c >= '0' && c <= '9') || c == '.') return number();
      if (c >= 'a' && c <= 'z') return word();
      throw error("unexpected '" + c + "'");
    }

    Node number() {
      int start = pos;
      while (pos < s.length() && ((s.charAt(pos) >= '0' && s.charAt(pos) <= '9') || s.charAt(pos) == '.')) pos++;
      try {
        return new Num(Double.parseDouble(s.substring(start, pos)));
      } catch (NumberFormatException e) {
        throw error("bad number");
      }
    }

    Node word() {
      int start = pos;
      while (pos < s.length() && s.charAt(pos) >= 'a' && s.charAt(pos) <= 'z') pos++;
      String w = s.substring(start, pos);
      if (w.equals("retried")) return new Var();
      if (!FUNCTIONS.contains(w)) throw error("unknown name '" + w + "'");
      expect('(');
      List<Node> args = new java.util.ArrayList<>();
      args.add(expression());
      skipSpace();
      if (pos < s.length() && s.charAt(pos) == ',') {
        pos++;
        args.add(expression());
      }
      expect(')');
      int want = switch (w) { case "pow", "min", "max" -> 2; default -> 1; };
      if (args.size() != want) throw error(w + " takes " + want + " argument(s)");
      return new Call(w, List.copyOf(args));
    }

    void expect(char c) {
      skipSpace();
      if (pos >= s.length() || s.charAt(pos) != c) throw error("expected '" + c + "'");
      pos++;
    }
  }
}
