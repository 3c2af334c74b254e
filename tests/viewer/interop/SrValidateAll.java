// PixelMed's DicomSRValidator over many files in one JVM (its main takes one file; the JVM start and
// the stylesheet compilation cost seconds each). Run: java -cp pixelmed.jar SrValidateAll.java FILE...
// Prints "=== FILE" before each report, as DicomSRValidator's main prints it.
import com.pixelmed.validate.DicomSRValidator;

public class SrValidateAll {
    public static void main(String[] args) throws Exception {
        DicomSRValidator validator = new DicomSRValidator();
        for (String file : args) {
            System.out.println("=== " + file);
            try {
                System.out.print(validator.validate(file));
            } catch (Exception e) {
                System.out.println("Error: " + e);
            }
        }
    }
}
