package org.dirkms.agent.smime;

import jakarta.mail.Header;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;

/**
 * A whole RFC 5322 message split the way S/MIME treats it (RFC 8551 section 3.1): the outer
 * headers (From, To, Subject, Date, Message-ID, …), which travel in clear, and the inner MIME
 * entity (the Content-* headers and the body), which is what is signed or encrypted.
 */
final class MailMessage {
    private static final Session SESSION = Session.getInstance(utf8Headers());

    private final MimeMessage message;
    private final List<Header> outer;

    /** Headers read and written as UTF-8 (RFC 6532), so that a raw UTF-8 Subject comes out as it went in. */
    private static Properties utf8Headers() {
        Properties properties = new Properties();
        properties.setProperty("mail.mime.allowutf8", "true");
        return properties;
    }

    private MailMessage(MimeMessage message) throws MessagingException {
        this.message = message;
        List<Header> headers = new ArrayList<>();
        for (Header header : Collections.list(message.getAllHeaders())) {
            if (!isEntityHeader(header.getName())) {
                headers.add(header);
            }
        }
        this.outer = List.copyOf(headers);
    }

    /** Parses {@code bytes}. */
    static MailMessage parse(byte[] bytes) throws SecureMailException {
        try {
            return new MailMessage(new MimeMessage(SESSION, new ByteArrayInputStream(bytes)));
        } catch (MessagingException e) {
            throw new SecureMailException("the input is not an RFC 5322 message: " + e.getMessage(), e);
        }
    }

    /** Content-* and MIME-Version belong to the entity (RFC 2045 section 9), the rest to the message. */
    private static boolean isEntityHeader(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.startsWith("content-") || lower.equals("mime-version");
    }

    /** The parsed message. */
    MimeMessage message() {
        return message;
    }

    /** The base type of the message's Content-Type, lower case (text/plain when absent, RFC 2045 section 5.2). */
    String contentType() throws SecureMailException {
        try {
            String type = message.getContentType();
            return type == null ? "text/plain" : type;
        } catch (MessagingException e) {
            throw new SecureMailException("the message's Content-Type cannot be read: " + e.getMessage(), e);
        }
    }

    /** The body as it is on the wire (still transfer-encoded). */
    byte[] rawBody() throws SecureMailException {
        try {
            return message.getRawInputStream().readAllBytes();
        } catch (MessagingException | IOException e) {
            throw new SecureMailException("the message body cannot be read: " + e.getMessage(), e);
        }
    }

    /** The body with its Content-Transfer-Encoding undone. */
    byte[] decodedBody() throws SecureMailException {
        try {
            return message.getInputStream().readAllBytes();
        } catch (MessagingException | IOException e) {
            throw new SecureMailException("the message body cannot be decoded: " + e.getMessage(), e);
        }
    }

    /** The inner entity: the Content-* headers (text/plain when there are none) and the body as it is. */
    MimeBodyPart innerEntity() throws SecureMailException {
        try {
            InternetHeaders headers = new InternetHeaders();
            for (Header header : Collections.list(message.getAllHeaders())) {
                if (header.getName().toLowerCase(Locale.ROOT).startsWith("content-")) {
                    headers.addHeader(header.getName(), header.getValue());
                }
            }
            if (headers.getHeader("Content-Type") == null) {
                headers.addHeader("Content-Type", "text/plain; charset=us-ascii");
            }
            return new MimeBodyPart(headers, rawBody());
        } catch (MessagingException e) {
            throw new SecureMailException("the message body cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * The addresses of the To, Cc and Bcc headers (RFC 5322 section 3.6.3), lower case, each once.
     *
     * @throws SecureMailException when a header does not parse as addresses
     */
    List<String> recipients() throws SecureMailException {
        Set<String> addresses = new LinkedHashSet<>();
        for (String name : List.of("To", "Cc", "Bcc")) {
            try {
                String[] values = message.getHeader(name);
                if (values == null) {
                    continue;
                }
                for (String value : values) {
                    for (InternetAddress address : InternetAddress.parseHeader(value, false)) {
                        addresses.add(address.getAddress().toLowerCase(Locale.ROOT));
                    }
                }
            } catch (AddressException e) {
                throw new SecureMailException("the " + name + " header is not a list of addresses: " + e.getMessage(), e);
            } catch (MessagingException e) {
                throw new SecureMailException("the " + name + " header cannot be read", e);
            }
        }
        return List.copyOf(addresses);
    }

    /** The addresses of From and Sender, lower case. */
    List<String> senders() {
        List<String> addresses = new ArrayList<>();
        for (String name : List.of("From", "Sender")) {
            try {
                String[] values = message.getHeader(name);
                if (values != null) {
                    for (String value : values) {
                        for (InternetAddress address : InternetAddress.parseHeader(value, false)) {
                            addresses.add(address.getAddress().toLowerCase(Locale.ROOT));
                        }
                    }
                }
            } catch (MessagingException e) {
                // an unreadable From matches no certificate address
            }
        }
        return addresses;
    }

    /** This message's outer headers around {@code entity} (a whole MIME entity, headers and body). */
    byte[] around(byte[] entity) throws SecureMailException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Header header : outer) {
            out.writeBytes((header.getName() + ": " + header.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        boolean hasVersion;
        try {
            hasVersion = new MimeBodyPart(new ByteArrayInputStream(entity)).getHeader("MIME-Version") != null;
        } catch (MessagingException e) {
            throw new SecureMailException("the content is not a MIME entity: " + e.getMessage(), e);
        }
        if (!hasVersion) {
            out.writeBytes("MIME-Version: 1.0\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(entity);
        return out.toByteArray();
    }

    /**
     * {@code part} as 7-bit data (RFC 8551 section 3.1.2: a multipart/signed entity may cross
     * transports that are 7-bit only, and a gateway that re-encodes 8-bit text breaks the
     * signature): an 8bit or binary body re-encoded quoted-printable (text) or base64 (anything
     * else), the other headers kept; any other part as it is. The parts of a multipart body are
     * left as they are.
     */
    static MimeBodyPart sevenBit(MimeBodyPart part) throws SecureMailException {
        try {
            String encoding = part.getEncoding();
            if (encoding == null || !(encoding.equalsIgnoreCase("8bit") || encoding.equalsIgnoreCase("binary"))
                    || part.isMimeType("multipart/*")) {
                return part;
            }
            String target = part.isMimeType("text/*") ? "quoted-printable" : "base64";
            byte[] body = part.getRawInputStream().readAllBytes();
            ByteArrayOutputStream encoded = new ByteArrayOutputStream();
            try (java.io.OutputStream encoder = jakarta.mail.internet.MimeUtility.encode(encoded, target)) {
                encoder.write(body);
            }
            InternetHeaders headers = new InternetHeaders();
            for (Header header : Collections.list(part.getAllHeaders())) {
                if (!header.getName().equalsIgnoreCase("Content-Transfer-Encoding")) {
                    headers.addHeader(header.getName(), header.getValue());
                }
            }
            headers.addHeader("Content-Transfer-Encoding", target);
            return new MimeBodyPart(headers, encoded.toByteArray());
        } catch (MessagingException | IOException e) {
            throw new SecureMailException("the message body cannot be encoded for signing: " + e.getMessage(), e);
        }
    }

    /** The bytes of {@code part}: its headers, an empty line, its body. */
    static byte[] bytes(MimeBodyPart part) throws SecureMailException {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            part.writeTo(out);
            return out.toByteArray();
        } catch (MessagingException | IOException e) {
            throw new SecureMailException("cannot write the MIME entity: " + e.getMessage(), e);
        }
    }

    /** {@code bytes} parsed as a MIME entity. */
    static MimeBodyPart entity(byte[] bytes) throws SecureMailException {
        try {
            return new MimeBodyPart(new ByteArrayInputStream(bytes));
        } catch (MessagingException e) {
            throw new SecureMailException("the content is not a MIME entity: " + e.getMessage(), e);
        }
    }
}
