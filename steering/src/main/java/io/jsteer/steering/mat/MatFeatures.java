package io.jsteer.steering.mat;

import io.jsteer.steering.mat.tasks.McItem;
import io.jsteer.steering.mat.tasks.TaskSplits;
import java.util.ArrayList;
import java.util.List;

/** Training features of the tasks: every choice text of a split is one sample of its task's attribute. */
public final class MatFeatures {

    private MatFeatures() {}

    /** @param everyToken one row per token of each text (the spec's ALL option) instead of the last token only */
    public static List<AttributeFeatures> extract(LastTokenExtractor extractor, List<TaskSplits> tasks, String split,
                                                  boolean everyToken, boolean progress) {
        List<AttributeFeatures> out = new ArrayList<>();
        for (TaskSplits t : tasks) {
            List<String> pos = new ArrayList<>(), neg = new ArrayList<>();
            for (McItem item : t.split(split)) {
                for (int i = 0; i < item.choices().size(); i++) {
                    (item.correct().get(i) ? pos : neg).add(item.text(i));
                }
            }
            out.add(new AttributeFeatures(t.task(), extractor.extractAll(pos, progress ? t.task() + " +" : null, everyToken),
                    extractor.extractAll(neg, progress ? t.task() + " -" : null, everyToken)));
        }
        return out;
    }
}
