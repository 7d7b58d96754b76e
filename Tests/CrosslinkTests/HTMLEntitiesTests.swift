import Testing
@testable import Crosslink

/// Names as a person reads them: the character references of Magento's names decoded.
struct HTMLEntitiesTests {
    @Test func decodesTheReferencesOfTheLumaSample() {
        #expect(HTMLEntities.decoded("Quest Lumaflex&trade; Band") == "Quest Lumaflex™ Band")
        #expect(HTMLEntities.decoded("Logan  HeatTec&reg; Tee") == "Logan  HeatTec® Tee")
        #expect(HTMLEntities.decoded("Bag &amp; Bottle &lt;XL&gt; &quot;Pro&quot; &ndash; &frac12;") == "Bag & Bottle <XL> \"Pro\" – ½")
    }

    @Test func decodesNumericReferences() {
        #expect(HTMLEntities.decoded("A&#8482;B&#x2122;C&#X2122;") == "A™B™C™")
        #expect(HTMLEntities.decoded("&#128512;") == "😀")
    }

    @Test func leavesWhatIsNotAReferenceAsWritten() {
        for text in ["AT&T", "R&D; plain", "&unknown;", "&trade", "& trade;", "&#;", "&#x;", "&#xZZ;", "&#+65;", "&#0;",
                     "&#xD800;", "&#99999999999;", "&", "a&&b", "&#x110000;"] {
            #expect(HTMLEntities.decoded(text) == text, "\(text)")
        }
        // One pass: an escaped reference decodes to the reference, not to its character.
        #expect(HTMLEntities.decoded("&amp;trade;") == "&trade;")
        #expect(HTMLEntities.decoded("&&trade;") == "&™")
        #expect(HTMLEntities.decoded("Plain name") == "Plain name")
    }
}
