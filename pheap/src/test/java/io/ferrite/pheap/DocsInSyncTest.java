package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/transactions.md quotes TransactionsTutorialTest; this keeps the quotes exact. */
class DocsInSyncTest {
    @Test
    void transactionsPageQuotesTheTutorial() throws Exception {
        Path doc = Path.of("..", "docs", "transactions.md");
        Path src = Path.of("src", "test", "java", "io", "ferrite", "pheap", "TransactionsTutorialTest.java");
        String page = Files.readString(doc);
        String code = Files.readString(src);
        for (String name : List.of("types", "create", "reopen")) {
            String snippet = snippet(code, name);
            assertTrue(page.contains(snippet), "docs/transactions.md does not quote snippet '" + name + "' of the tutorial:\n" + snippet);
        }
    }

    @Test
    void poolFormatPageQuotesTheDescriptorDiagrams() throws Exception {
        String page = Files.readString(Path.of("..", "docs", "pool-format.md"));
        for (String cls : List.of("SuperblockDescriptor", "SlabTableDescriptor", "SlabHeaderDescriptor", "TypeRegistryDescriptor",
                "TypeDescriptor", "RedoRecordDescriptor", "BlobHeaderDescriptor")) {
            String src = Files.readString(Path.of("src", "main", "java", "io", "ferrite", "pheap", "format", cls + ".java"));
            int a = src.indexOf('\n', src.indexOf("<pre>")) + 1;
            int b = src.indexOf("</pre>");
            StringBuilder diagram = new StringBuilder();
            for (String l : src.substring(a, b).split("\n")) {
                diagram.append(l.startsWith(" * ") ? l.substring(3) : l.replaceFirst("^[ *]+", "")).append('\n');
            }
            String d = diagram.toString().stripTrailing() + "\n";
            assertTrue(page.contains(d), "docs/pool-format.md does not quote the diagram of " + cls + ":\n" + d);
        }
    }

    static String snippet(String code, String name) {
        int a = code.indexOf('\n', code.indexOf("// tutorial:" + name)) + 1;
        int b = code.lastIndexOf('\n', code.indexOf("// end:" + name)) + 1;
        List<String> lines = new ArrayList<>(List.of(code.substring(a, b).split("\n")));
        int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(l.length() >= indent ? l.substring(indent) : l.strip()).append('\n');
        }
        return sb.toString().stripTrailing() + "\n";
    }
}
