package org.dirkms.agent.operations;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Prometheus text exposition format, version 0.0.4: per metric family a {@code # HELP} and a
 * {@code # TYPE} line, then one line per sample, {@code name{label="value",...} number}. Label
 * values escape backslash, double quote and line feed; HELP text escapes backslash and line feed.
 *
 * <p>Written by hand rather than with the Prometheus Java client: the format is these few rules,
 * the values are read from the directory at scrape time (no registry to keep in step), and the
 * listener is the JDK's server the CA already runs, so the client's registry, exporters and their
 * dependencies would add jars for nothing this class does not do.
 */
public final class PrometheusText {
    /** The media type of this format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    private final StringBuilder text = new StringBuilder();

    /** The metric types this writer uses. */
    public enum Type {
        /** A value that goes up and down. */
        GAUGE,
        /** A count that only goes up (since the process started); its name ends in {@code _total}. */
        COUNTER;

        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Starts the family {@code name}: its HELP and TYPE lines.
     *
     * @throws IllegalArgumentException if the name is not a metric name
     */
    public PrometheusText family(String name, Type type, String help) {
        if (!METRIC_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a metric name: " + name);
        }
        text.append("# HELP ").append(name).append(' ')
                .append(help.replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
        text.append("# TYPE ").append(name).append(' ').append(type.word()).append('\n');
        return this;
    }

    /** A sample of {@code name} without labels. */
    public PrometheusText sample(String name, double value) {
        return sample(name, Map.of(), value);
    }

    /** A sample of {@code name} with {@code labels} (written in their map's order). */
    public PrometheusText sample(String name, Map<String, String> labels, double value) {
        if (!METRIC_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a metric name: " + name);
        }
        text.append(name);
        if (!labels.isEmpty()) {
            text.append('{');
            boolean first = true;
            for (Map.Entry<String, String> label : labels.entrySet()) {
                if (!LABEL_NAME.matcher(label.getKey()).matches() || label.getKey().startsWith("__")) {
                    throw new IllegalArgumentException("not a label name: " + label.getKey());
                }
                if (!first) {
                    text.append(',');
                }
                first = false;
                text.append(label.getKey()).append("=\"").append(escapeLabelValue(label.getValue())).append('"');
            }
            text.append('}');
        }
        text.append(' ').append(number(value)).append('\n');
        return this;
    }

    /** The exposition so far. */
    @Override
    public String toString() {
        return text.toString();
    }

    static String escapeLabelValue(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** Go's float formatting as the format expects: integers without a fraction, NaN, +Inf, -Inf. */
    static String number(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "+Inf" : "-Inf";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }
}
