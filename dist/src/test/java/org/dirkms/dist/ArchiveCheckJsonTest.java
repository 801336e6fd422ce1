package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dirkms.agent.escrow.ArchiveAudit;
import org.junit.jupiter.api.Test;

/**
 * {@code dirkms archive check --json}: the report as one JSON object (README, "JSON output"):
 * the counts of the summary line, {@code clean}, and the findings with their problem label, DNs
 * and message, read back by a JSON parser as the text report says them.
 */
class ArchiveCheckJsonTest {

    private static final String JDOE = "uid=jdoe,ou=People,dc=example,dc=com";

    private static JsonNode parse(ArchiveAudit.Report report) throws Exception {
        StringWriter text = new StringWriter();
        JsonOutput.print(new PrintWriter(text, true), ArchiveCommand.json(report));
        return new ObjectMapper().readTree(text.toString());
    }

    @Test
    void aReportWithFindingsKeepsItsCountsProblemsAndDns() throws Exception {
        ArchiveAudit.Finding finding = new ArchiveAudit.Finding(ArchiveAudit.Problem.KEY_MISMATCH,
                List.of(JDOE, "cn=1,ou=Archive,ou=KMS,dc=example,dc=com"), JDOE + ": not the key of its certificate");
        JsonNode report = parse(new ArchiveAudit.Report(3, 4, 3, List.of(finding)));
        List<String> fields = new ArrayList<>();
        report.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("usersChecked", "recordsChecked", "keysUnwrapped", "neverPublished", "clean", "findings"),
                fields);
        assertEquals(3, report.get("usersChecked").asInt());
        assertEquals(4, report.get("recordsChecked").asInt());
        assertEquals(3, report.get("keysUnwrapped").asInt());
        assertFalse(report.get("clean").asBoolean());
        JsonNode first = report.get("findings").get(0);
        assertEquals("key-mismatch", first.get("problem").asText());
        assertEquals(JDOE, first.get("dns").get(0).asText());
        assertEquals(2, first.get("dns").size());
        assertEquals(finding.message(), first.get("message").asText());
    }

    @Test
    void aCleanReportHasAnEmptyFindingsArray() throws Exception {
        JsonNode report = parse(new ArchiveAudit.Report(0, 0, 0, List.of()));
        assertTrue(report.get("clean").asBoolean());
        assertTrue(report.get("findings").isArray() && report.get("findings").isEmpty());
    }
}
