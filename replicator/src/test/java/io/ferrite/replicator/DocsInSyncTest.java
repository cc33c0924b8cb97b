package io.ferrite.replicator;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/replication.md quotes every layout diagram of the replicator's descriptors; this keeps the quotes exact. */
class DocsInSyncTest {
    @Test
    void replicationPageQuotesTheDescriptorDiagrams() throws Exception {
        String page = Files.readString(Path.of("..", "docs", "replication.md"));
        int diagrams = 0;
        for (String file : List.of("wire/FrameDescriptor.java", "basecopy/BaseCopyProgressDescriptor.java")) {
            String src = Files.readString(Path.of("src", "main", "java", "io", "ferrite", "replicator").resolve(file));
            for (int at = src.indexOf("<pre>"); at >= 0; at = src.indexOf("<pre>", at + 1)) {
                int a = src.indexOf('\n', at) + 1;
                int b = src.indexOf("</pre>", a);
                StringBuilder diagram = new StringBuilder();
                for (String l : src.substring(a, b).split("\n")) {
                    diagram.append(l.startsWith(" * ") ? l.substring(3) : l.replaceFirst("^[ *]+", "")).append('\n');
                }
                String d = diagram.toString().stripTrailing() + "\n";
                assertTrue(page.contains(d), "docs/replication.md does not quote this diagram of " + file + ":\n" + d);
                diagrams++;
            }
        }
        System.out.println("replication docs: " + diagrams + " descriptor diagrams quoted exactly");
    }
}
