package io.jsteer.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import java.util.Map;

/**
 * JSON text as Python's {@code json.dumps(value, ensure_ascii=False, indent=indent)} writes it,
 * which is what {@code tojson} gives in Hugging Face chat templates (tool definitions, arguments):
 * {@code ", "} and {@code ": "} between items on one line, or one item per line with
 * {@code indent} spaces. Models were trained on exactly this spelling.
 */
final class PythonJson {
    private PythonJson() {
    }

    static String dumps(Object value, int indent) {
        StringBuilder out = new StringBuilder();
        write(out, value, indent, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, int indent, int depth) {
        switch (value) {
            case null -> out.append("null");
            case Boolean b -> out.append(b ? "true" : "false");
            case Integer i -> out.append(i);
            case Long l -> out.append(l);
            case Number n -> out.append(pythonFloat(n.doubleValue()));
            case CharSequence s -> string(out, s.toString());
            case Map<?, ?> map -> {
                if (map.isEmpty()) {
                    out.append("{}");
                    return;
                }
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    separator(out, first, indent, depth + 1);
                    first = false;
                    string(out, String.valueOf(e.getKey()));
                    out.append(": ");
                    write(out, e.getValue(), indent, depth + 1);
                }
                close(out, indent, depth);
                out.append('}');
            }
            case Iterable<?> items -> {
                if (!items.iterator().hasNext()) {
                    out.append("[]");
                    return;
                }
                out.append('[');
                boolean first = true;
                for (Object item : items) {
                    separator(out, first, indent, depth + 1);
                    first = false;
                    write(out, item, indent, depth + 1);
                }
                close(out, indent, depth);
                out.append(']');
            }
            case Object[] array -> write(out, java.util.Arrays.asList(array), indent, depth);
            default -> string(out, value.toString());
        }
    }

    private static void separator(StringBuilder out, boolean first, int indent, int depth) {
        if (indent < 0) {
            out.append(first ? "" : ", ");
        } else {
            out.append(first ? "\n" : ",\n").repeat(' ', indent * depth);
        }
    }

    private static void close(StringBuilder out, int indent, int depth) {
        if (indent >= 0) {
            out.append('\n').repeat(' ', indent * depth);
        }
    }

    /** Python's float repr: {@code 1.0}, {@code 0.1}, {@code 1e+20}. */
    private static String pythonFloat(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        String s = Double.toString(d);
        int e = s.indexOf('E');
        if (e < 0) {
            return s;
        }
        String mantissa = s.substring(0, e).endsWith(".0") ? s.substring(0, e - 2) : s.substring(0, e);
        String exponent = s.substring(e + 1);
        return mantissa + "e" + (exponent.startsWith("-") ? "-" + pad(exponent.substring(1)) : "+" + pad(exponent));
    }

    private static String pad(String digits) {
        return digits.length() < 2 ? "0" + digits : digits;
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** {@code value|tojson} and {@code value|tojson(indent=4)}. */
    static final class ToJsonFilter implements AdvancedFilter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            return dumps(var, indent instanceof Number n ? n.intValue() : -1);
        }

        @Override
        public String getName() {
            return "tojson";
        }
    }
}
