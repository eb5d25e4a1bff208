using RlTools.Core.IO;
using RlTools.Core.Records;

namespace RlTools.Commands;

/// <summary>
/// Watches the prompts Import-RlDataset reads from one file and, when none of them has a gold answer, words the
/// warning: which column was looked for and which other columns the file has, so the user can name the right one.
/// Code tasks are scored against their tests (metadata field <c>tests</c>, filled by -TestsField), not a gold
/// answer: a file whose prompts carry tests gets no warning.
/// </summary>
internal sealed class DatasetAnswerCheck(string? answerField)
{
    private bool _anyAnswer;
    private bool _anyTests;
    private int _prompts;
    private IReadOnlyCollection<string> _otherColumns = [];

    public void Observe(PromptRecord prompt)
    {
        if (_prompts++ == 0) _otherColumns = prompt.Metadata.Keys.ToArray();
        if (!string.IsNullOrWhiteSpace(prompt.Answer)) _anyAnswer = true;
        if (prompt.Metadata.TryGetValue("tests", out object? tests) && tests is not null) _anyTests = true;
    }

    /// <summary>The warning for <paramref name="file"/>, or null when some prompt has an answer (or there were none).</summary>
    public string? Warning(string file)
    {
        if (_anyAnswer || _anyTests || _prompts == 0) return null;
        string name = Path.GetFileName(file);
        string looked = answerField is null
            ? $"none of the columns {string.Join(", ", DatasetOptions.AnswerCandidates)} is there"
            : $"the -AnswerField column '{answerField}' is empty in every row";
        string others = _otherColumns.Count > 0 ? $"; its other columns are: {string.Join(", ", _otherColumns)}" : "; it has no other columns";
        string example = _otherColumns.FirstOrDefault() is { } first ? $" (e.g. -AnswerField {first})" : "";
        return $"No prompt of '{name}' has a gold answer: {looked}{others}. Name the answer column with -AnswerField{example}; " +
               "without answers the verifiers that compare with one (Math, ExactMatch, Numeric, Choice) leave every reward null.";
    }
}
