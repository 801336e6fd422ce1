package org.dirkms.dist;

import java.io.PrintWriter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The {@code --json} output of the commands that list things (README, "JSON output"): one JSON
 * document (RFC 8259) on standard output, an array of objects with camelCase field names that
 * stay the same from release to release; a field with nothing to say is {@code null}, never left
 * out; times are RFC 3339 UTC strings. Nothing else goes to standard output, so that
 * {@code dirkms X --json | jq} always parses.
 */
final class JsonOutput {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JsonOutput() {
    }

    /** A new, empty array: the document of a listing. */
    static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    /** A new, empty object, for one element of a listing. */
    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** Prints {@code document} and a line end to {@code out}. */
    static void print(PrintWriter out, Object document) {
        try {
            out.println(MAPPER.writeValueAsString(document));
        } catch (JsonProcessingException e) {
            // A tree of nodes always serializes; anything else is a defect of the caller.
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
        out.flush();
    }
}
