package dev.hotpatch.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table with a header row and an underline, columns padded to their widest cell. Not
 * thread-safe. Public for the commands of this module's sub-packages; not an API.
 */
public final class Table {
    private final String[] headers;
    private final List<String[]> rows = new ArrayList<>();

    public Table(String... headers) {
        this.headers = headers;
    }

    public Table add(Object... cells) {
        String[] row = new String[headers.length];
        for (int i = 0; i < headers.length; i++) {
            Object c = i < cells.length ? cells[i] : null;
            row[i] = c == null ? "" : c.toString();
        }
        rows.add(row);
        return this;
    }

    public void print(PrintWriter out) {
        print(out, Integer.MAX_VALUE);
    }

    /**
     * Prints the table in at most {@code maxWidth} columns: the last column (a free-text note) is
     * cut with an ellipsis where a row would be wider; the full text belongs in {@code --json} or a
     * wide view.
     */
    public void print(PrintWriter out, int maxWidth) {
        int[] width = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            width[i] = headers[i].length();
            for (String[] r : rows) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        int last = headers.length - 1;
        int before = 0;
        for (int i = 0; i < last; i++) {
            before += width[i] + 2;
        }
        int room = Math.max(headers[last].length(), maxWidth - before);
        if (width[last] > room) {
            width[last] = room;
            for (String[] r : rows) {
                if (r[last].length() > room) {
                    r[last] = r[last].substring(0, room - 1) + "…";
                }
            }
        }
        String[] underline = new String[headers.length];
        for (int i = 0; i < headers.length; i++) {
            underline[i] = "-".repeat(headers[i].length());
        }
        line(out, headers, width);
        line(out, underline, width);
        for (String[] r : rows) {
            line(out, r, width);
        }
        out.flush();
    }

    private static void line(PrintWriter out, String[] cells, int[] width) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            b.append(cells[i]);
            if (i < cells.length - 1) {
                b.append(" ".repeat(width[i] - cells[i].length() + 2));
            }
        }
        out.println(b.toString().stripTrailing());
    }
}
