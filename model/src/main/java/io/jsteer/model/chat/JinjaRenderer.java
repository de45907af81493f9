package io.jsteer.model.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.loader.ResourceNotFoundException;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jinjava.javax.el.CompositeELResolver;

/**
 * Renders one Jinja chat template with Jinjava, configured like the Jinja environment Hugging Face
 * transformers uses for chat templates: {@code trim_blocks} and {@code lstrip_blocks}, whitespace
 * control on every tag kind, {@code raise_exception(msg)}, {@code strftime_now(fmt)}, Python string
 * and dict methods ({@link PythonMethods}), Python-style {@code trim} and {@code tojson}.
 *
 * <p>The template comes from a model file, so it is treated as untrusted: no file access
 * (include/import/extends have nothing to load), the output, strings and lists are bounded, and
 * a render that runs longer than its time limit is stopped. Every failure is a
 * {@link ChatTemplateException} naming the template's origin and the problem.
 */
final class JinjaRenderer {
    /** Far above any prompt a context window holds (128K tokens are about 0.5M characters). */
    static final long DEFAULT_MAX_OUTPUT_CHARS = 8L << 20;
    /** Generous: the first render in a process also loads Jinjava's classes (seconds on a busy machine). */
    static final Duration DEFAULT_TIME_LIMIT = Duration.ofSeconds(10);

    /**
     * The render's deadline travels in the template's variables under a name no template can
     * assign (it is not an identifier), so one configured Jinjava serves concurrent renders.
     */
    private static final String DEADLINE = "jsteer render deadline";

    private final String source;
    private final String origin;
    private final long maxOutputChars;
    private final Duration timeLimit;
    private final Jinjava jinjava;

    JinjaRenderer(String template, String origin, long maxOutputChars, Duration timeLimit) {
        this.source = JinjaSource.adapt(template);
        this.origin = origin;
        this.maxOutputChars = maxOutputChars;
        this.timeLimit = timeLimit;
        this.jinjava = newJinjava();
    }

    String origin() {
        return origin;
    }

    /** Whether the template's text lacks {@code c} (so {@code c} can mark positions in its output). */
    boolean sourceHasNo(char c) {
        return source.indexOf(c) < 0;
    }

    /** Thrown by {@code raise_exception(msg)}: the template refuses this conversation. */
    static final class RaisedByTemplate extends RuntimeException {
        RaisedByTemplate(String message) {
            super(message);
        }
    }

    /** Thrown between nodes once the render has run past its time limit. */
    static final class TimeLimitExceeded extends RuntimeException {
        TimeLimitExceeded(String message) {
            super(message);
        }
    }

    // Static because Jinjava calls template functions by reflection on static methods.
    public static String raiseException(Object message) {
        throw new RaisedByTemplate(String.valueOf(message));
    }

    public static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(), format, Locale.ROOT);
    }

    String render(Map<String, Object> variables) {
        long deadline = System.nanoTime() + timeLimit.toNanos();
        Map<String, Object> withDeadline = new java.util.HashMap<>(variables);
        withDeadline.put(DEADLINE, deadline);
        RenderResult result;
        try {
            result = jinjava.renderForResult(source, withDeadline);
        } catch (RuntimeException e) {
            throw failure(e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == com.hubspot.jinjava.interpret.TemplateError.ErrorType.FATAL) {
                throw failure(error);
            }
        }
        if (System.nanoTime() > deadline) {
            throw new ChatTemplateException(origin, "rendering took longer than " + timeLimit.toMillis() + " ms");
        }
        return result.getOutput();
    }

    private Jinjava newJinjava() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                // trim_blocks and lstrip_blocks: applied to the source by JinjaSource, with Jinja2's rules
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true) // {{- -}} and {#- -#} strip white space too
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .withElResolver(resolver)
                .withMaxOutputSize(maxOutputChars)
                .withMaxStringLength(maxOutputChars)
                .withMaxListSize(100_000)
                .withMaxMapSize(100_000)
                .withFailOnUnknownTokens(false) // Jinja2's default Undefined: unknown names render empty
                .withDisabled(Map.of(Context.Library.TAG, Set.of("include", "import", "from", "extends")))
                .withProcessors(JinjavaProcessors.newBuilder()
                        .withNodePreProcessor((node, interpreter) -> {
                            if (interpreter.getContext().get(DEADLINE) instanceof Long deadline && System.nanoTime() > deadline) {
                                throw new TimeLimitExceeded("rendering took longer than " + timeLimit.toMillis() + " ms");
                            }
                        })
                        .build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.setResourceLocator((name, encoding, interpreter) -> {
            throw new ResourceNotFoundException("a chat template cannot load other files (" + name + ")");
        });
        Context globals = jinjava.getGlobalContext();
        globals.registerFunction(new ELFunctionDefinition("", "raise_exception", JinjaRenderer.class, "raiseException", Object.class));
        globals.registerFunction(new ELFunctionDefinition("", "strftime_now", JinjaRenderer.class, "strftimeNow", String.class));
        globals.registerFilter(new TrimFilter());
        globals.registerFilter(new PythonJson.ToJsonFilter());
        return jinjava;
    }

    /** Jinja2's trim is Python's str.strip (Unicode white space, or the characters given). */
    private static final class TrimFilter implements Filter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return var == null ? "" : PythonMethods.strip(var.toString(), args.length > 0 ? args[0] : null, true, true);
        }

        @Override
        public String getName() {
            return "trim";
        }
    }

    private ChatTemplateException failure(TemplateError error) {
        Throwable raised = find(error.getException(), RaisedByTemplate.class);
        if (raised != null) {
            return new ChatTemplateException(origin, "the template refused the conversation: " + raised.getMessage());
        }
        Throwable late = find(error.getException(), TimeLimitExceeded.class);
        if (late != null) {
            return new ChatTemplateException(origin, late.getMessage());
        }
        String where = error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : "";
        String message = error.getMessage();
        if (message != null && message.contains(RaisedByTemplate.class.getSimpleName())) {
            message = message.substring(message.indexOf(':') + 1).strip();
        }
        return new ChatTemplateException(origin, error.getReason().name().toLowerCase(Locale.ROOT).replace('_', ' ')
                + where + ": " + message, error.getException());
    }

    private ChatTemplateException failure(RuntimeException e) {
        Throwable raised = find(e, RaisedByTemplate.class);
        if (raised != null) {
            return new ChatTemplateException(origin, "the template refused the conversation: " + raised.getMessage(), e);
        }
        Throwable late = find(e, TimeLimitExceeded.class);
        if (late != null) {
            return new ChatTemplateException(origin, late.getMessage(), e);
        }
        String name = e.getClass().getSimpleName();
        return new ChatTemplateException(origin, (name.contains("OutputTooBig") || name.contains("TooBig") || name.contains("Size")
                ? "output over the limit of " + maxOutputChars + " characters: " : "") + e.getMessage(), e);
    }

    private static Throwable find(Throwable t, Class<? extends Throwable> kind) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (kind.isInstance(c)) {
                return c;
            }
        }
        return null;
    }
}
