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
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
