package io.sparkseg.core.coco;

/**
 * An entry of a COCO annotation file's {@code images}. {@code width}/{@code height} are -1 when
 * the file does not give them.
 */
public record CocoImage(long id, int width, int height, String fileName) implements java.io.Serializable {}
