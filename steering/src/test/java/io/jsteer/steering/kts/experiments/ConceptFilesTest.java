package io.jsteer.steering.kts.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reference layout: concept lists, per-concept sentence files, refusal A/B items. */
class ConceptFilesTest {

    static Path shared(String rel) {
        return Path.of(System.getProperty("jsteer.shared", "../../shared")).resolve(rel);
    }

    static void sentences(Path dir, String concept, int n) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("{\"concept\": \"").append(concept).append("\", \"sentence\": \"").append(concept).append(" sentence ").append(i).append(".\"}\n");
        }
        sb.append("{\"concept\": \"").append(concept).append("\", \"sentence\": \"").append(concept).append(" sentence 0.\"}\n"); // duplicate
        Files.writeString(dir.resolve("gpt-3.5-turbo-16k-0613_" + concept + "_generated_concept_sentences.jsonl"), sb.toString());
    }

    /**
     * What KTS training receives from a concept directory: each entry's first N pairs, every side
     * put through the chat template (Llama 2's here, so the ids are the reference's [INST] string's),
     * compared with ids built by hand from the file's sentences.
     */
    @Test
    void renderedPoolIsTheFilesThroughTheTemplate(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("concept_lists.json"),
                "{\"criminal_concepts\": [\"burglary\"], \"neutral_concepts\": [\"baking\"]}");
        sentences(dir, "burglary", 6);
        sentences(dir, "baking", 6);
        Path models = shared("models");
        try (var model = io.jsteer.model.ModelLoader.load(models.resolve("stories260K.bin"), models.resolve("tok512.bin"))) {
            var tok = model.tokenizer();
            var llama2 = io.jsteer.model.chat.ChatTemplate.forTokenizer(tok, "llama2");
            PromptFormat format = PromptFormat.template(llama2, null);
            var entries = ConceptFiles.directory(dir).pool(false, 5, true, true);
            var rendered = entries.stream().map(e -> e.render(format, tok, 4)).toList();
            assertEquals(List.of("burglary", "burglary_no_prompt"), rendered.stream().map(io.jsteer.steering.kts.data.RenderedConcept::name).toList());
            for (int e = 0; e < 2; e++) {
                assertEquals(4, rendered.get(e).pairs().size(), "the first 4 of 6 pairs");
                for (int i = 0; i < 4; i++) {
                    String own = "burglary sentence " + i + ".";
                    String first = e == 0 ? ConceptFiles.wrap("burglary", own) : own;
                    // the reference string of an exchange with an empty answer, as Llama 2's template ends it
                    int[] expected = tok.encode("[INST] " + first + "\nAnswer: [/INST]", true);
                    org.junit.jupiter.api.Assertions.assertArrayEquals(expected, rendered.get(e).pairs().get(i)[0], "entry " + e + " pair " + i);
                    String other = entries.get(e).pairs().get(i).secondUser();
                    assertTrue(other.matches((e == 0 ? "Think about the concept of \"baking\" in this sentence:\\n" : "") + "baking sentence \\d\\."), other);
                    org.junit.jupiter.api.Assertions.assertArrayEquals(tok.encode("[INST] " + other + "\nAnswer: [/INST]", true),
                            rendered.get(e).pairs().get(i)[1]);
                }
            }
            // plain: BOS + text, the demo's old encoding
            var plain = entries.get(1).render(PromptFormat.plain(), tok, 1).pairs().getFirst();
            org.junit.jupiter.api.Assertions.assertArrayEquals(tok.encode("burglary sentence 0.", true), plain[0]);
            assertThrows(IllegalArgumentException.class, () -> entries.getFirst().render(format, tok, 0));
        }
    }

    @Test
    void poolInTheReferenceLayout(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("concept_lists.json"),
                "{\"criminal_concepts\": [\"burglary\"], \"bad_concepts\": [\"cruel\"], \"neutral_concepts\": [\"baking\", \"rivers\"]}");
        sentences(dir, "burglary", 170);
        sentences(dir, "cruel", 3);
        sentences(dir, "baking", 200);
        sentences(dir, "rivers", 200);
        ConceptFiles files = ConceptFiles.directory(dir);
        assertEquals(170, files.sentences("burglary").size(), "the duplicate line is dropped");
        var pool = files.pool(false, 19, true, true);
        assertEquals(List.of("burglary", "burglary_no_prompt", "cruel", "cruel_no_prompt"), pool.stream().map(ConceptFiles.NamedPairs::name).toList());
        // train split: the first 160 distinct sentences, each zipped with a neutral one
        assertEquals(160, pool.get(0).pairs().size());
        assertEquals(3, pool.get(2).pairs().size());
        PromptPair p = pool.get(0).pairs().get(7);
        assertEquals("Think about the concept of \"burglary\" in this sentence:\nburglary sentence 7.", p.firstUser());
        assertTrue(p.secondUser().matches("Think about the concept of \"(baking|rivers)\" in this sentence:\\n\\1 sentence \\d+\\."), p.secondUser());
        assertEquals("", p.firstAnswer());
        assertEquals("burglary sentence 7.", pool.get(1).pairs().get(7).firstUser());
        // the neutral side is a shuffle drawn from both neutral concepts, without repeats inside an entry
        Set<String> negatives = new HashSet<>();
        for (PromptPair q : pool.get(1).pairs()) {
            assertTrue(negatives.add(q.secondUser()));
        }
        assertTrue(negatives.stream().anyMatch(s -> s.startsWith("baking")) && negatives.stream().anyMatch(s -> s.startsWith("rivers")));
        // the same seed gives the same pool, another seed another shuffle
        assertEquals(pool, files.pool(false, 19, true, true));
        assertTrue(!pool.get(1).equals(files.pool(false, 20, true, true).get(1)));
        // test split: sentences 160..199
        var test = files.pool(true, 19, false, true);
        assertEquals(List.of("burglary_no_prompt"), test.stream().map(ConceptFiles.NamedPairs::name).toList());
        assertEquals("burglary sentence 160.", test.getFirst().pairs().getFirst().firstUser());
        assertEquals(10, test.getFirst().pairs().size());
    }

    @Test
    void errorsNameFileAndField(@TempDir Path dir) throws Exception {
        var e = assertThrows(IllegalArgumentException.class, () -> ConceptFiles.directory(dir).lists());
        assertTrue(e.getMessage().contains("concept_lists.json is missing"), e.getMessage());
        Files.writeString(dir.resolve("concept_lists.json"), "{\"bad_concepts\": [\"cruel\"]}");
        e = assertThrows(IllegalArgumentException.class, () -> ConceptFiles.directory(dir).lists());
        assertTrue(e.getMessage().endsWith("neutral_concepts is missing or empty: the negatives of every pair are neutral sentences"), e.getMessage());
        Files.writeString(dir.resolve("concept_lists.json"), "{\"bad_concepts\": [\"cruel\"], \"neutral_concepts\": [\"baking\"]}");
        e = assertThrows(IllegalArgumentException.class, () -> ConceptFiles.directory(dir).pool(false, 1, true, true));
        assertTrue(e.getMessage().contains("no sentence file for concept"), e.getMessage());
        Files.writeString(dir.resolve("x_cruel_generated_concept_sentences.jsonl"), "{\"concept\": \"cruel\", \"sentence\": \"a\"}\n{\"concept\": \"mean\", \"sentence\": \"b\"}\n");
        e = assertThrows(IllegalArgumentException.class, () -> ConceptFiles.directory(dir).sentences("cruel"));
        assertTrue(e.getMessage().endsWith("x_cruel_generated_concept_sentences.jsonl:2: field 'concept' is 'mean', the file is named for 'cruel'"), e.getMessage());
        Files.writeString(dir.resolve("x_cruel_generated_concept_sentences.jsonl"), "{\"concept\": \"cruel\", \"sentence\": \"a\"\n");
        e = assertThrows(IllegalArgumentException.class, () -> ConceptFiles.directory(dir).sentences("cruel"));
        assertTrue(e.getMessage().contains("x_cruel_generated_concept_sentences.jsonl:1: not valid JSON"), e.getMessage());
    }

    @Test
    void refusalAbIsComplianceFirst() {
        var train = ConceptFiles.refusalAb(shared("data/caa/refusal_generate_dataset.json"), false);
        var test = ConceptFiles.refusalAb(shared("data/caa/refusal_generate_dataset.json"), true);
        assertEquals(326, train.pairs().size(), "first 80 % of 408");
        assertEquals(82, test.pairs().size());
        var items = io.jsteer.steering.data.Datasets.abItems(shared("data/caa/refusal_generate_dataset.json")).items();
        PromptPair p = train.pairs().getFirst();
        assertEquals(items.getFirst().question(), p.firstUser());
        assertEquals("(" + items.getFirst().notMatching() + ")", p.firstAnswer(), "first = the compliant (not refusing) answer");
        assertEquals("(" + items.getFirst().matching() + ")", p.secondAnswer());
        assertEquals(items.get(326).question(), test.pairs().getFirst().firstUser());
    }

    @Test
    void builtInStoriesFilesHoldTheDemoConcepts() throws Exception {
        ConceptFiles b = ConceptFiles.builtIn();
        var pool = b.pool(false, 19, false, true);
        List<String> names = new ArrayList<>();
        pool.forEach(p -> names.add(p.name().replace("_no_prompt", "")));
        assertEquals(io.jsteer.steering.kts.data.DemoCorpus.poolConceptNames(), names);
        // the files were written from DemoCorpus.trainingPool(40, 19): the concept sentences are the same
        var demo = io.jsteer.steering.kts.data.DemoCorpus.trainingPool(40, 19);
        assertEquals(demo.get(3).pairs().stream().map(io.jsteer.steering.data.ContrastivePair::positive).distinct().toList(),
                b.sentences(demo.get(3).name()));
        var target = b.builtInTarget();
        assertEquals(io.jsteer.steering.kts.data.DemoCorpus.happySadPairs(32, 20).getFirst().positive(), target.pairs().getFirst().firstUser());
        assertEquals(32, target.pairs().size());
    }
}
