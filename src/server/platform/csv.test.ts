import { describe, expect, it } from "vitest";
import { csvCell, csvRow } from "./csv.js";

describe("CSV cells", () => {
  it("leaves plain text, numbers and booleans as they are, and null empty", () => {
    expect(csvCell("Concorezzo")).toBe("Concorezzo");
    expect(csvCell(42)).toBe("42");
    expect(csvCell(true)).toBe("true");
    expect(csvCell(null)).toBe("");
    expect(csvCell("")).toBe("");
  });

  it("quotes a cell with a comma, a semicolon, a quote, a CR or an LF, doubling the quotes", () => {
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell("a;b")).toBe('"a;b"');
    expect(csvCell('dice "ciao"')).toBe('"dice ""ciao"""');
    expect(csvCell("riga\nnuova")).toBe('"riga\nnuova"');
    expect(csvCell("riga\r\nnuova")).toBe('"riga\r\nnuova"');
  });

  it("prefixes with an apostrophe a cell a spreadsheet would run as a formula", () => {
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("+39 333")).toBe("'+39 333");
    expect(csvCell("-1")).toBe("'-1");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\tx")).toBe("'\tx");
    expect(csvCell("\rx")).toBe('"\'\rx"');
    expect(csvCell('=A1,"x"')).toBe('"\'=A1,""x"""');
    expect(csvCell("a=b")).toBe("a=b");
  });

  it("writes a record ended by CRLF", () => {
    expect(csvRow(["id", 1, null, "a,b"])).toBe('id,1,,"a,b"\r\n');
  });
});
