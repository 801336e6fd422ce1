package org.dirkms.it.interop;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One message of a matrix cell, in the forms mail clients take it: the whole RFC 5322 message
 * (dirkms), and its MIME entity without the outer headers (what openssl and gpgsm sign or
 * encrypt, RFC 8551 section 3.1), lines ending CRLF (the canonical form, RFC 8551 section 3.1.1).
 *
 * @param from    the sender's address
 * @param to      the recipient's address
 * @param subject the subject
 * @param body    one line of text, unique to the cell: what must arrive
 * @param message the file of the whole message
 * @param entity  the file of its MIME entity
 */
record Letter(String from, String to, String subject, String body, Path message, Path entity) {

    /** The MIME entity of a text message: a Content-Type header and the body. */
    static final String ENTITY_HEADERS = "Content-Type: text/plain; charset=us-ascii\r\n"
            + "Content-Transfer-Encoding: 7bit\r\n";

    /** Writes both forms into {@code folder}. */
    static Letter write(Path folder, String from, String to, String subject, String body) throws Exception {
        String entity = ENTITY_HEADERS + "\r\n" + body + "\r\n";
        String message = outerHeaders(from, to, subject) + entity;
        return new Letter(from, to, subject, body,
                Files.write(folder.resolve("message.eml"), message.getBytes(StandardCharsets.US_ASCII)),
                Files.write(folder.resolve("entity.txt"), entity.getBytes(StandardCharsets.US_ASCII)));
    }

    /** The outer headers of a message from {@code from} to {@code to}, with MIME-Version. */
    static String outerHeaders(String from, String to, String subject) {
        return "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\n";
    }

    /** The outer headers of this letter. */
    String outerHeaders() {
        return outerHeaders(from, to, subject);
    }

    /** Whether {@code received} holds this letter's body: what the recipient's client wrote. */
    boolean arrivedIn(Path received) throws Exception {
        return Files.exists(received) && new String(Files.readAllBytes(received), StandardCharsets.ISO_8859_1)
                .contains(body);
    }
}
