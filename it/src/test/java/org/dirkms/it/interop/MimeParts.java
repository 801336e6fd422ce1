package org.dirkms.it.interop;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The MIME a mail program wraps around gpgsm, which reads and writes bare CMS: an S/MIME message
 * of a CMS object (application/pkcs7-mime, base64, RFC 8551 section 3.2), a multipart/signed of an
 * entity and its detached signature (RFC 8551 section 3.5.3, RFC 1847), and the reverse. Input is
 * canonicalised to CRLF first, as a mail program does before checking a signature (RFC 8551
 * section 3.1.1).
 */
final class MimeParts {
    private static final Pattern BOUNDARY = Pattern.compile("boundary=\"?([^\";\\r\\n]+)\"?", Pattern.CASE_INSENSITIVE);

    private MimeParts() {
    }

    /** application/pkcs7-mime of {@code der}, with {@code headers} (outer headers or none) before it. */
    static byte[] pkcs7Mime(String headers, String smimeType, byte[] der) {
        return (headers + "Content-Type: application/pkcs7-mime; smime-type=" + smimeType + "; name=smime.p7m\r\n"
                + "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=smime.p7m\r\n\r\n"
                + Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der) + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** multipart/signed of {@code entity} and its detached signature {@code der}, with {@code headers} before it. */
    static byte[] multipartSigned(String headers, byte[] entity, byte[] der) {
        String boundary = "----=_dirkms_interop_" + Integer.toHexString(java.util.Arrays.hashCode(der));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((headers + "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; "
                + "micalg=sha-256; boundary=\"" + boundary + "\"\r\n\r\nThis is an S/MIME signed message\r\n\r\n--"
                + boundary + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(entity);
        out.writeBytes(("\r\n--" + boundary + "\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n"
                + "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=smime.p7s\r\n\r\n"
                + Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /**
     * A message read as a mail program reads it for gpgsm.
     *
     * @param type      its Content-Type, lower case
     * @param cms       the CMS object: the pkcs7-mime body or the detached signature (DER)
     * @param signedPart the signed entity of a multipart/signed, exactly as signed; null otherwise
     */
    record Parsed(String type, byte[] cms, byte[] signedPart) {
    }

    /** Parses a message or entity holding S/MIME. */
    static Parsed parse(byte[] message) {
        String text = canonical(new String(message, StandardCharsets.ISO_8859_1));
        int split = text.indexOf("\r\n\r\n");
        String headers = unfold(text.substring(0, split));
        String body = text.substring(split + 4);
        String type = header(headers, "Content-Type").toLowerCase(Locale.ROOT);
        if (type.startsWith("multipart/signed")) {
            Matcher matcher = BOUNDARY.matcher(header(headers, "Content-Type"));
            if (!matcher.find()) {
                throw new IllegalArgumentException("multipart/signed without a boundary");
            }
            String delimiter = "--" + matcher.group(1);
            int first = body.startsWith(delimiter) ? 0 : body.indexOf("\r\n" + delimiter) + 2;
            int start = body.indexOf("\r\n", first) + 2;
            int end = body.indexOf("\r\n" + delimiter, start);
            String signed = body.substring(start, end);
            int signatureStart = body.indexOf("\r\n", end + 2) + 2;
            int signatureEnd = body.indexOf("\r\n" + delimiter, signatureStart);
            Parsed signature = parse(body.substring(signatureStart, signatureEnd).getBytes(StandardCharsets.ISO_8859_1));
            return new Parsed(type, signature.cms(), signed.getBytes(StandardCharsets.ISO_8859_1));
        }
        return new Parsed(type, Base64.getMimeDecoder().decode(body.strip()), null);
    }

    private static String canonical(String text) {
        return text.replace("\r\n", "\n").replace("\n", "\r\n");
    }

    private static String unfold(String headers) {
        return headers.replaceAll("\r\n[ \t]+", " ");
    }

    private static String header(String headers, String name) {
        for (String line : headers.split("\r\n")) {
            if (line.regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
                return line.substring(name.length() + 1).strip();
            }
        }
        return "";
    }
}
