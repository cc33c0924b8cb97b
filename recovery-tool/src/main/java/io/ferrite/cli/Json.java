package io.ferrite.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny JSON builder for {@code --json} outputs: objects keep insertion order, so the output is
 * stable and diffs of the golden files in the tests read well. Values are strings, numbers,
 * booleans, null, {@link Obj} and {@link Arr}.
 */
final class Json {
    private Json() {
    }

    static Obj obj() {
        return new Obj();
    }

    static Arr arr() {
        return new Arr();
    }

    /** An ordered JSON object. */
    static final class Obj {
        final Map<String, Object> fields = new LinkedHashMap<>();

        Obj put(String key, Object value) {
            fields.put(key, value);
            return this;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            write(sb, this, 0);
            return sb.toString();
        }
    }

    /** A JSON array. */
    static final class Arr {
        final List<Object> items = new ArrayList<>();

        Arr add(Object value) {
            items.add(value);
            return this;
        }

        int size() {
            return items.size();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            write(sb, this, 0);
            return sb.toString();
        }
    }

    private static void indent(StringBuilder sb, int n) {
        sb.append('\n');
        for (int i = 0; i < n; i++) {
            sb.append("  ");
        }
    }

    static void write(StringBuilder sb, Object v, int depth) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Obj o) {
            if (o.fields.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : o.fields.entrySet()) {
                sb.append(first ? "" : ",");
                first = false;
                indent(sb, depth + 1);
                string(sb, e.getKey());
                sb.append(": ");
                write(sb, e.getValue(), depth + 1);
            }
            indent(sb, depth);
            sb.append('}');
        } else if (v instanceof Arr a) {
            if (a.items.isEmpty()) {
                sb.append("[]");
                return;
            }
            boolean simple = a.items.stream().allMatch(x -> !(x instanceof Obj) && !(x instanceof Arr));
            sb.append('[');
            boolean first = true;
            for (Object x : a.items) {
                sb.append(first ? "" : simple ? ", " : ",");
                first = false;
                if (!simple) {
                    indent(sb, depth + 1);
                }
                write(sb, x, depth + 1);
            }
            if (!simple) {
                indent(sb, depth);
            }
            sb.append(']');
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short
                || v instanceof Byte) {
            sb.append(v);
        } else if (v instanceof Double d) {
            sb.append(d.isNaN() || d.isInfinite() ? "\"" + d + "\"" : d.toString());
        } else if (v instanceof Float f) {
            sb.append(f.isNaN() || f.isInfinite() ? "\"" + f + "\"" : f.toString());
        } else {
            string(sb, v.toString());
        }
    }

    static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (isControl(c)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /**
     * Characters never written raw, in JSON or text: the C0 controls (JSON requires their escape),
     * DEL and the C1 controls (0x9b is a CSI on many terminals), the line and paragraph separators
     * (raw in JSON, line breaks in JavaScript), and the bidirectional overrides that reorder what
     * a terminal shows. JSON allows {@code \\u} escapes of any character, so escaping more than it
     * requires keeps the output valid and the decoded strings unchanged.
     */
    static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\u2028' || c == '\u2029' || (c >= '\u202a' && c <= '\u202e')
                || (c >= '\u2066' && c <= '\u2069');
    }

    /**
     * {@code s} safe to print on a terminal: names and bytes read from a pool (type and field
     * names, blob text) with every {@linkplain #isControl control character} as {@code \\u00XX};
     * line breaks in {@code s} are escaped too, so one value stays on one line.
     */
    static String printable(String s) {
        if (s == null || s.chars().noneMatch(c -> isControl((char) c))) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isControl(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
