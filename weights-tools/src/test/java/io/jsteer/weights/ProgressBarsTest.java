package io.jsteer.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.weights.ProgressBars.Mode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.junit.jupiter.api.Test;

/** Progress on stderr: frames on a terminal, plain lines in a log (issue 14, point 5). */
class ProgressBarsTest {

    private static String draw(Mode mode) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(buf, true, StandardCharsets.UTF_8);
        // the default (colourful) style, as most of jsteer's bars use
        try (ProgressBar bar = ProgressBars.build(new ProgressBarBuilder().setTaskName("eval").setInitialMax(10), mode, err)) {
            for (int i = 0; i < 10; i++) {
                bar.step();
            }
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void plainModeWritesWholeLinesWithoutFramesOrColours() {
        String plain = draw(Mode.PLAIN);
        assertFalse(plain.contains("\r"), plain);
        assertFalse(plain.contains("\u001B"), plain);
        List<String> lines = plain.lines().toList();
        assertFalse(lines.isEmpty());
        assertTrue(lines.stream().allMatch(l -> l.startsWith("eval ")), plain);
        assertTrue(lines.getLast().contains("100%") && lines.getLast().contains("10/10"), plain);
        assertTrue(plain.endsWith("\n"), plain);

        // what a terminal gets: frames redrawn in place, which is what a log must not receive
        String bar = draw(Mode.BAR);
        assertTrue(bar.contains("\r"), bar);
        assertEquals("", draw(Mode.OFF));
    }

    @Test
    void theModeComesFromTheVariableThenTheLaunchersTtyFlagThenTheConsole() {
        assertEquals(Mode.PLAIN, ProgressBars.mode("plain", "true", null));
        assertEquals(Mode.BAR, ProgressBars.mode("BAR", "false", null));
        assertEquals(Mode.OFF, ProgressBars.mode("off", null, null));
        assertEquals(Mode.BAR, ProgressBars.mode(null, "true", null));
        assertEquals(Mode.PLAIN, ProgressBars.mode("", "false", null));
        assertEquals(Mode.PLAIN, ProgressBars.mode(null, null, null)); // no console at all: not a terminal
        var e = assertThrows(IllegalArgumentException.class, () -> ProgressBars.mode("fancy", null, null));
        assertTrue(e.getMessage().contains("JSTEER_PROGRESS") && e.getMessage().contains("fancy"), e.getMessage());
    }
}
