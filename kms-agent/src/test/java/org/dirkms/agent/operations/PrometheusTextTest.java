package org.dirkms.agent.operations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {

    @Test
    void writesHelpTypeAndSamplesWithEscapedLabelValues() {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("ca", "cn=A \"quoted\" \\ CA\nx");
        labels.put("state", "active");
        String text = new PrometheusText().family("dirkms_x", PrometheusText.Type.GAUGE, "help with \\ and\nbreak")
                .sample("dirkms_x", labels, 3).sample("dirkms_x", 0.5).toString();
        assertEquals("# HELP dirkms_x help with \\\\ and\\nbreak\n# TYPE dirkms_x gauge\n"
                + "dirkms_x{ca=\"cn=A \\\"quoted\\\" \\\\ CA\\nx\",state=\"active\"} 3\ndirkms_x 0.5\n", text);
    }

    @Test
    void numbersAsTheFormatWritesThem() {
        assertEquals("NaN", PrometheusText.number(Double.NaN));
        assertEquals("+Inf", PrometheusText.number(Double.POSITIVE_INFINITY));
        assertEquals("-Inf", PrometheusText.number(Double.NEGATIVE_INFINITY));
        assertEquals("1765000000", PrometheusText.number(1_765_000_000d));
        assertEquals("1.5E20", PrometheusText.number(1.5e20));
    }

    @Test
    void refusesNamesTheFormatDoesNotAllow() {
        assertThrows(IllegalArgumentException.class,
                () -> new PrometheusText().family("dirkms-x", PrometheusText.Type.GAUGE, "h"));
        assertThrows(IllegalArgumentException.class,
                () -> new PrometheusText().sample("dirkms_x", Map.of("__reserved", "v"), 1));
        assertThrows(IllegalArgumentException.class,
                () -> new PrometheusText().sample("dirkms_x", Map.of("a-b", "v"), 1));
    }
}
