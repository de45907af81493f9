package io.jsteer.model.chat;

import com.hubspot.jinjava.objects.SafeString;
import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The Python {@code str} and {@code dict} methods that chat templates call
 * ({@code content.strip()}, {@code .startswith('<tool_response>')}, {@code .split('</think>')},
 * {@code message.get('content')}...), with Python's semantics. Jinjava would otherwise call the
 * Java method of the same name where one exists ({@code String.split} takes a regex,
 * {@code String.strip} ignores U+00A0) and fail where none does ({@code startswith}).
 * Placed before Jinjava's own resolvers, it answers only the calls it knows.
 */
final class PythonMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (method == null) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        String name = method.toString();
        Object result;
        if (base instanceof String || base instanceof SafeString) {
            result = stringMethod(base.toString(), name, args);
        } else if (base instanceof Map<?, ?> map) {
            result = mapMethod(map, name, args);
        } else {
            return null;
        }
        if (result == NOT_HANDLED) {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NOT_HANDLED = new Object();

    static Object stringMethod(String s, String name, Object[] a) {
        return switch (name) {
            case "strip" -> strip(s, chars(a), true, true);
            case "lstrip" -> strip(s, chars(a), true, false);
            case "rstrip" -> strip(s, chars(a), false, true);
            case "startswith" -> affix(s, a, true);
            case "endswith" -> affix(s, a, false);
            case "split" -> split(s, a.length > 0 ? str(a[0]) : null, a.length > 1 ? integer(a[1]) : -1);
            case "rsplit" -> rsplit(s, a.length > 0 ? str(a[0]) : null, a.length > 1 ? integer(a[1]) : -1);
            case "splitlines" -> splitLines(s);
            case "replace" -> replace(s, str(a[0]), str(a[1]), a.length > 2 ? integer(a[2]) : -1);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
                    + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "find" -> (long) s.indexOf(str(a[0]));
            case "rfind" -> (long) s.lastIndexOf(str(a[0]));
            case "count" -> (long) count(s, str(a[0]));
            case "join" -> join(s, a[0]);
            case "removeprefix" -> s.startsWith(str(a[0])) ? s.substring(str(a[0]).length()) : s;
            case "removesuffix" -> s.endsWith(str(a[0])) ? s.substring(0, s.length() - str(a[0]).length()) : s;
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(PythonMethods::isSpace);
            case "isupper" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            case "islower" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            default -> NOT_HANDLED;
        };
    }

    private static Object mapMethod(Map<?, ?> map, String name, Object[] a) {
        return switch (name) {
            case "get" -> a.length == 0 ? NOT_HANDLED : map.containsKey(str(a[0])) ? map.get(str(a[0])) : a.length > 1 ? a[1] : null;
            case "items" -> {
                List<List<Object>> items = new ArrayList<>();
                map.forEach((k, v) -> items.add(java.util.Arrays.asList(k, v)));
                yield items;
            }
            case "keys" -> new ArrayList<Object>(map.keySet());
            case "values" -> new ArrayList<Object>(map.values());
            default -> NOT_HANDLED;
        };
    }

    /** Python's str.isspace() per character: Unicode white space, including U+00A0 and U+2007. */
    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    private static String chars(Object[] a) {
        return a.length > 0 && a[0] != null ? str(a[0]) : null;
    }

    /** Python str.strip/lstrip/rstrip: white space, or any of {@code chars} when given. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && stripped(s.charAt(start), chars)) {
            start++;
        }
        while (right && end > start && stripped(s.charAt(end - 1), chars)) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    private static boolean affix(String s, Object[] a, boolean prefix) {
        if (a.length == 0) {
            throw new IllegalArgumentException((prefix ? "startswith" : "endswith") + "() takes at least 1 argument");
        }
        Iterable<?> options = a[0] instanceof Iterable<?> it ? it : List.of(a[0]);
        for (Object option : options) {
            String o = str(option);
            if (prefix ? s.startsWith(o) : s.endsWith(o)) {
                return true;
            }
        }
        return false;
    }

    /** Python str.split: on runs of white space (dropping empty parts) without a separator, literally with one. */
    static List<String> split(String s, String sep, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i == s.length()) {
                    return parts;
                }
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(s.substring(i)); // the rest as it is, trailing white space included
                    return parts;
                }
                int j = i;
                while (j < s.length() && !isSpace(s.charAt(j))) {
                    j++;
                }
                parts.add(s.substring(i, j));
                i = j;
            }
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("split(): empty separator");
        }
        int from = 0;
        for (int at = s.indexOf(sep); at >= 0 && (maxSplit < 0 || parts.size() < maxSplit); at = s.indexOf(sep, from)) {
            parts.add(s.substring(from, at));
            from = at + sep.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static List<String> rsplit(String s, String sep, int maxSplit) {
        if (maxSplit < 0 || sep == null) {
            if (sep == null && maxSplit >= 0) {
                throw new IllegalArgumentException("rsplit() with maxsplit needs a separator here");
            }
            return split(s, sep, -1);
        }
        List<String> parts = new ArrayList<>();
        int to = s.length();
        for (int at = s.lastIndexOf(sep, to - sep.length()); at >= 0 && parts.size() < maxSplit;
             at = s.lastIndexOf(sep, to - sep.length())) {
            parts.addFirst(s.substring(at + sep.length(), to));
            to = at;
        }
        parts.addFirst(s.substring(0, to));
        return parts;
    }

    /** Python str.splitlines(): a final line break ends the last line rather than starting an empty one. */
    private static List<String> splitLines(String s) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ("\n\r\u000B\u000C\u001C\u001D\u001E\u0085\u2028\u2029".indexOf(c) >= 0) {
                lines.add(s.substring(start, i));
                if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        if (start < s.length()) {
            lines.add(s.substring(start));
        }
        return lines;
    }

    private static String replace(String s, String old, String with, int count) {
        if (count < 0) {
            return s.replace(old, with);
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int n = 0; n < count; n++) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            out.append(s, from, at).append(with);
            from = at + old.length();
        }
        return out.append(s.substring(from)).toString();
    }

    /** Python str.title: a letter after a non-letter is upper-cased, the others lower-cased. */
    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousIsLetter = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(previousIsLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousIsLetter = Character.isLetter(c);
        }
        return out.toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String separator, Object items) {
        StringBuilder out = new StringBuilder();
        Iterator<?> it = items instanceof Iterable<?> iterable ? iterable.iterator()
                : items instanceof Object[] array ? List.of(array).iterator() : List.of(items).iterator();
        while (it.hasNext()) {
            out.append(str(it.next()));
            if (it.hasNext()) {
                out.append(separator);
            }
        }
        return out.toString();
    }

    private static String str(Object o) {
        return o == null ? "None" : o.toString();
    }

    private static int integer(Object o) {
        if (o instanceof Number n) {
            return n.intValue();
        }
        throw new IllegalArgumentException("expected an integer, got " + o);
    }

    // The rest of ELResolver: this resolver only answers method calls.

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // not a property resolver
    }
}
