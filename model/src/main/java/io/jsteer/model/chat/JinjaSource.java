package io.jsteer.model.chat;

/**
 * Rewrites the few spots of Jinja2 syntax that model templates use and Jinjava parses
 * differently, leaving the rest of the text untouched:
 * <ul>
 * <li>one trailing newline is dropped, as Jinja2 does by default ({@code keep_trailing_newline=False});
 * <li>{@code lstrip_blocks} and {@code trim_blocks}, which Hugging Face turns on for chat templates,
 *     are applied here with Jinja2's rules: spaces and tabs before a {@code {%} or {@code {#} tag
 *     are removed only when nothing else precedes the tag on its line (Jinjava's own option also
 *     strips them after text on the same line), and one newline after {@code %}} or {@code #}}
 *     is removed;
 * <li>{@code seq[::-1]} (a reversed copy; Qwen3's template walks its messages that way) becomes
 *     {@code seq|reverse|list}, since Jinjava has no slice step;
 * <li>keyword-argument values are parenthesised: Jinjava binds {@code name=} tighter than
 *     arithmetic, so {@code namespace(last=messages|length - 1)} would subtract from the
 *     parameter instead of from the length.
 * </ul>
 * Only code inside {@code {{ }}} and {@code {% %}} is touched, never string literals or text.
 */
final class JinjaSource {
    private JinjaSource() {
    }

    static String adapt(String template) {
        String source = template.endsWith("\n") ? template.substring(0, template.length() - 1) : template;
        StringBuilder out = new StringBuilder(source.length() + 64);
        int i = 0;
        while (i < source.length()) {
            int open = nextTagStart(source, i);
            if (open < 0) {
                out.append(source, i, source.length());
                break;
            }
            char kind = source.charAt(open + 1);
            String text = source.substring(i, open);
            if (kind != '{' && !source.startsWith("+", open + 2)) {
                text = lstripLastLine(text, i == 0 || source.charAt(i - 1) == '\n');
            }
            out.append(text).append(source, open, open + 2);
            int close = kind == '#' ? source.indexOf("#}", open + 2) : codeEnd(source, open + 2, kind == '{' ? '}' : '%');
            if (close < 0) {
                out.append(source, open + 2, source.length()); // unterminated: let the parser report it
                break;
            }
            String code = source.substring(open + 2, close);
            // a macro's parameter defaults are declarations, not calls: left as written
            boolean macro = code.replaceFirst("^[-+]?\\s*", "").startsWith("macro ");
            out.append(kind == '#' || macro ? code : rewriteCode(code));
            out.append(source, close, close + 2);
            i = close + 2;
            boolean keepNewline = source.charAt(close - 1) == '+';
            if (kind != '{' && !keepNewline && source.startsWith("\n", i)) {
                i++; // trim_blocks
            }
        }
        return out.toString();
    }

    /**
     * The text before a block or comment tag without the spaces and tabs that open the tag's line
     * ({@code lstrip_blocks}); unchanged when other text precedes the tag on that line.
     *
     * @param atLineStart whether {@code text} starts a line of the template (its start, or after a newline)
     */
    private static String lstripLastLine(String text, boolean atLineStart) {
        int lineStart = text.lastIndexOf('\n') + 1;
        if (lineStart == 0 && !atLineStart) {
            return text; // the line began inside an earlier tag
        }
        for (int k = lineStart; k < text.length(); k++) {
            if (text.charAt(k) != ' ' && text.charAt(k) != '\t') {
                return text;
            }
        }
        return text.substring(0, lineStart);
    }

    /** Position of the next {@code {{}, {@code {%} or {@code {#} at or after {@code from}, or -1. */
    private static int nextTagStart(String s, int from) {
        for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
            char c = s.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
        }
        return -1;
    }

    /** Where the code that starts at {@code from} ends: the {@code }}} or {@code %}} outside string literals. */
    private static int codeEnd(String s, int from, char closer) {
        char quote = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == closer && i + 1 < s.length() && s.charAt(i + 1) == '}') {
                return i;
            }
        }
        return -1;
    }

    static String rewriteCode(String code) {
        StringBuilder out = new StringBuilder(code.length() + 16);
        int i = 0;
        while (i < code.length()) {
            char c = code.charAt(i);
            if (c == '\'' || c == '"') {
                int end = stringEnd(code, i);
                out.append(code, i, end);
                i = end;
            } else if (code.startsWith("[::-1]", i)) {
                out.append("|reverse|list");
                i += 6;
            } else if (isKeywordArgumentAt(code, i)) {
                int eq = code.indexOf('=', i);
                int valueEnd = argumentEnd(code, eq + 1);
                out.append(code, i, eq + 1).append('(').append(rewriteCode(code.substring(eq + 1, valueEnd))).append(')');
                i = valueEnd;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static int stringEnd(String code, int start) {
        char quote = code.charAt(start);
        for (int i = start + 1; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == quote) {
                return i + 1;
            }
        }
        return code.length();
    }

    /**
     * An identifier at {@code i} that starts a call's keyword argument: after {@code (} or
     * {@code ,} (spaces allowed), followed by {@code =} but not {@code ==}.
     */
    private static boolean isKeywordArgumentAt(String code, int i) {
        if (!Character.isJavaIdentifierStart(code.charAt(i)) || (i > 0 && Character.isJavaIdentifierPart(code.charAt(i - 1)))) {
            return false;
        }
        int before = i - 1;
        while (before >= 0 && Character.isWhitespace(code.charAt(before))) {
            before--;
        }
        if (before < 0 || (code.charAt(before) != '(' && code.charAt(before) != ',')) {
            return false;
        }
        int j = i;
        while (j < code.length() && Character.isJavaIdentifierPart(code.charAt(j))) {
            j++;
        }
        while (j < code.length() && Character.isWhitespace(code.charAt(j))) {
            j++;
        }
        return j + 1 < code.length() && code.charAt(j) == '=' && code.charAt(j + 1) != '='
                && (code.charAt(before) == '(' || insideParentheses(code, before));
    }

    /** Whether the {@code (} or {@code ,} at {@code at} belongs to a parenthesised list (a call). */
    private static boolean insideParentheses(String code, int at) {
        int depth = 0;
        for (int k = at; k >= 0; k--) {
            char c = code.charAt(k);
            if (c == ')' || c == ']' || c == '}') {
                depth++;
            } else if (c == '(' || c == '[' || c == '{') {
                if (depth == 0) {
                    return c == '(';
                }
                depth--;
            }
        }
        return false;
    }

    /** End of a keyword argument's value: the next top-level {@code ,} or {@code )}. */
    private static int argumentEnd(String code, int from) {
        int depth = 0;
        for (int i = from; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(code, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (depth == 0) {
                    return i;
                }
                depth--;
            } else if (c == ',' && depth == 0) {
                return i;
            }
        }
        return code.length();
    }
}
