package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.chat.JinjaChatTemplate;
import io.jsteer.model.chat.Message;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.kts.experiments.PromptFormat;
import io.jsteer.steering.mat.tasks.MatTask;
import io.jsteer.steering.mat.tasks.McItem;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** MAT samples under --format plain (the paper's strings, unchanged) and template (question = user turn, answer = assistant text). */
class MatPromptsTest {

    static final String JINJA = "{% for m in messages %}<{{ m.role }}> {{ m.content }}\n{% endfor %}"
            + "{% if add_generation_prompt %}<assistant>{% endif %}";

    static LoadedModel model;
    static McItem item;

    @BeforeAll
    static void load() throws Exception {
        Path dir = Shared.path("models");
        model = ModelLoader.load(dir.resolve("stories260K.bin"), dir.resolve("tok512.bin"));
        item = MatTask.TRUTHFULQA.load(Shared.path("data"), 42).train().getFirst();
    }

    @AfterAll
    static void close() throws Exception {
        model.close();
    }

    @Test
    void plainIsThePapersStringWithTheOldAnswerSpan() {
        Tokenizer tok = model.tokenizer();
        MatPrompts plain = MatPrompts.plain(tok);
        for (int c = 0; c < item.choices().size(); c++) {
            int[] full = tok.encode(item.text(c), true), prompt = tok.encode(item.prompt(), true);
            int common = 0;
            while (common < prompt.length && prompt[common] == full[common]) {
                common++;
            }
            assertArrayEquals(full, plain.ids(item, c));
            assertEquals(common, plain.choice(item, c).answerStart());
        }
    }

    @Test
    void templateRendersTheQuestionAsUserTurnAndTheSpanIsExactlyTheAnswer() {
        Tokenizer tok = model.tokenizer();
        JinjaChatTemplate t = new JinjaChatTemplate(JINJA, "test", tok);
        MatPrompts p = new MatPrompts(tok, PromptFormat.template(t, null));
        String q = item.question(), a = item.choices().getFirst();
        assertEquals("Q: " + q + " A:", item.prompt());
        // by hand: the template's text of the user turn, then " " + answer (the opening ends in no space)
        assertEquals("<user> " + q + "\n<assistant>", t.render(List.of(Message.user(q)), true));
        PromptFormat.Answered r = p.choice(item, 0);
        int[] head = t.encode(List.of(Message.user(q)), true);
        assertArrayEquals(head, Arrays.copyOf(r.ids(), head.length));
        assertEquals(head.length, r.answerStart());
        // the whole rendered string, tokenized at once, gives the same ids
        int[] whole = tok.encode("<user> " + q + "\n<assistant> " + a, head.length > 0 && head[0] == tok.bos());
        assertArrayEquals(whole, r.ids());
        // the span decodes to the answer and nothing else
        assertEquals(a, tok.decode(Arrays.copyOfRange(r.ids(), r.answerStart(), r.ids().length)).strip());
        assertNotEquals(MatPrompts.plain(tok).cacheKeyJson(), p.cacheKeyJson());
        assertNotEquals(p.cacheKeyJson(), new MatPrompts(tok, PromptFormat.template(t, "Be brief.")).cacheKeyJson());
    }
}
