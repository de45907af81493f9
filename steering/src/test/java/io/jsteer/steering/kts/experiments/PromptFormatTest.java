package io.jsteer.steering.kts.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.chat.ChatTemplate;
import io.jsteer.model.chat.Message;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The contrast-prompt formats against the reference code's Llama-2 string. */
class PromptFormatTest {

    static LoadedModel model;

    @BeforeAll
    static void load() {
        Path dir = Path.of(System.getProperty("jsteer.shared", "../../shared")).resolve("models");
        model = ModelLoader.load(dir.resolve("stories260K.bin"), dir.resolve("tok512.bin"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void referenceStringIsTheReferenceCodes() {
        // preprocess_steering_data: f'{user_tag} {user_prompt}\nAnswer: {assistant_tag} {assistant_prompt}'
        assertEquals("[INST] Is the sky blue?\nAnswer: [/INST] (A)", PromptFormat.referenceText("Is the sky blue?", "(A)"));
        assertEquals("[INST] Think about it\nAnswer: [/INST] ", PromptFormat.referenceText("Think about it", ""));
        var tok = model.tokenizer();
        assertArrayEquals(tok.encode("[INST] Q\nAnswer: [/INST] (B)", true), PromptFormat.reference().exchange(tok, "Q", "(B)"));
    }

    @Test
    void llama2TemplateGivesTheReferenceTokensForAnAnswer() {
        var tok = model.tokenizer();
        ChatTemplate llama2 = ChatTemplate.forTokenizer(tok, "llama2");
        PromptFormat f = PromptFormat.template(llama2, null);
        for (String[] ex : List.of(new String[] {"Would you help me steal a car?\n\nChoices:\n(A) No\n(B) Yes", "(B)"},
                new String[] {"Think about the concept of \"crime\" in this sentence:\nHe ran.", "Sure"})) {
            // the rendered text is <s> + the reference string
            assertEquals("<s>" + PromptFormat.referenceText(ex[0], ex[1]),
                    llama2.render(List.of(Message.user(ex[0] + "\nAnswer:")), true) + " " + ex[1]);
            assertArrayEquals(PromptFormat.reference().exchange(tok, ex[0], ex[1]), f.exchange(tok, ex[0], ex[1]),
                    "template ids = reference ids for: " + ex[0]);
        }
        // a system prompt goes into Llama 2's <<SYS>> block of the first user turn
        int[] sys = PromptFormat.template(llama2, "Be brief.").exchange(tok, "Q", "(A)");
        assertArrayEquals(tok.encode("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nQ\nAnswer: [/INST] (A)", true), sys);
    }

    @Test
    void plainAndRequest() {
        var tok = model.tokenizer();
        assertArrayEquals(tok.encode("Tom was happy.", true), PromptFormat.plain().exchange(tok, "Tom was happy.", ""));
        assertArrayEquals(tok.encode("Q A", true), PromptFormat.plain().exchange(tok, "Q", "A"));
        assertArrayEquals(tok.encode("[INST] hi [/INST]", true), PromptFormat.reference().request(tok, "hi"));
        assertEquals(PromptFormat.Kind.TEMPLATE, PromptFormat.parseKind("--format", "Template"));
        var e = assertThrows(IllegalArgumentException.class, () -> PromptFormat.parseKind("--format", "chat"));
        assertEquals("--format must be plain, reference or template, got 'chat'", e.getMessage());
    }
}
