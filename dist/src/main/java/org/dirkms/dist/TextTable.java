package org.dirkms.dist;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * An aligned table on standard output, as {@code dirkms ca list} prints one: a header row of
 * capitals, each column as wide as its widest cell plus two spaces, the last column unpadded, and
 * under a row optionally one indented detail line (a DN) that does not count towards the widths.
 */
final class TextTable {

    private final String[] header;
    private final List<String[]> rows = new ArrayList<>();
    private final List<String> details = new ArrayList<>();

    /** A table with these column headings. */
    TextTable(String... header) {
        this.header = header.clone();
    }

    /**
     * Adds a row; {@code detail}, when not null, is printed under it indented by two spaces.
     *
     * @throws IllegalArgumentException when the row has not one cell per column
     */
    TextTable row(String detail, String... cells) {
        if (cells.length != header.length) {
            throw new IllegalArgumentException(cells.length + " cells for " + header.length + " columns");
        }
        String[] copy = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            copy[i] = cells[i] == null ? "-" : cells[i];
        }
        rows.add(copy);
        details.add(detail);
        return this;
    }

    /** Prints the header and the rows, trailing spaces stripped. */
    void print(PrintWriter out) {
        int[] widths = new int[header.length];
        List<String[]> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (String[] row : all) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (int r = 0; r < all.size(); r++) {
            String[] row = all.get(r);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
            }
            out.println(line.toString().stripTrailing());
            if (r > 0 && details.get(r - 1) != null) {
                out.println("  " + details.get(r - 1));
            }
        }
    }
}
